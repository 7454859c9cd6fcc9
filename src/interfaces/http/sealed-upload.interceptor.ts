import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { FileInterceptor, MulterModuleOptions } from '@nestjs/platform-express';
import { MULTER_MODULE_OPTIONS } from '@nestjs/platform-express/multer/files.constants';
import type { Environment } from '../../config/environment';

/** The AEAD tag a sealed file carries on top of the plaintext size limit. */
const SEALING_OVERHEAD_BYTES = 16;
/** Text fields carry base64 envelopes and headers and JSON recipient lists: larger than a plain upload's. */
const SEALED_FIELD_BYTES = 64 * 1024;
const SEALED_FIELDS = 8;

/**
 * Multipart parsing for a sealed upload: the one file part `content` may be the upload limit plus
 * the AEAD tag, and the text fields are larger than a plain upload's (the module-wide limits stay
 * as they are for every other route). Otherwise Nest's own FileInterceptor, with its error mapping.
 */
@Injectable()
export class SealedUploadInterceptor implements NestInterceptor {
  private readonly inner: NestInterceptor;

  constructor(
    config: ConfigService<Environment, true>,
    @Optional() @Inject(MULTER_MODULE_OPTIONS) options: MulterModuleOptions = {},
  ) {
    const Interceptor = FileInterceptor('content', {
      limits: {
        fileSize: config.get('MAX_UPLOAD_BYTES', { infer: true }) + SEALING_OVERHEAD_BYTES,
        files: 1,
        fields: SEALED_FIELDS,
        fieldSize: SEALED_FIELD_BYTES,
        parts: SEALED_FIELDS + 1,
      },
    });
    this.inner = new Interceptor(options);
  }

  intercept(context: ExecutionContext, next: CallHandler): ReturnType<NestInterceptor['intercept']> {
    return this.inner.intercept(context, next);
  }
}
