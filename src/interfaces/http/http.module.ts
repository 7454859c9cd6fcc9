import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { ThrottlerModule } from '@nestjs/throttler';
import { memoryStorage } from 'multer';
import type { Environment } from '../../config/environment';
import { AccessController } from './access.controller';
import { AuthGuard } from './auth.guard';
import { ClaimsController } from './claims.controller';
import { HealthController } from './health.controller';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RateLimitGuard } from './rate-limit.guard';
import { KeysController } from './keys.controller';
import { RecordsController } from './records.controller';
import { SealedRecordsController } from './sealed-records.controller';
import { SealedUploadInterceptor } from './sealed-upload.interceptor';
import { createValidationPipe } from './validation';

/** Multipart form fields other than the file are tiny (`chain`). */
const MAX_FORM_FIELD_BYTES = 1024;
const MAX_FORM_FIELDS = 8;
const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * The HTTP adapter: controllers, guards, the error filter, the validation pipe, multipart parsing and
 * rate limiting. The use cases it drives are bound elsewhere (src/app/): the composition root hands
 * their modules to `HttpModule.register`, so this module never imports a use case's wiring or an adapter.
 */
@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        storage: memoryStorage(),
        // Browsers and curl send UTF-8 file names without a charset parameter.
        defParamCharset: 'utf8',
        limits: {
          fileSize: config.get('MAX_UPLOAD_BYTES', { infer: true }),
          files: 1,
          fields: MAX_FORM_FIELDS,
          fieldSize: MAX_FORM_FIELD_BYTES,
          parts: MAX_FORM_FIELDS + 1,
        },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        throttlers: [{ ttl: RATE_LIMIT_WINDOW_MS, limit: config.get('RATE_LIMIT_PER_MINUTE', { infer: true }) }],
      }),
    }),
  ],
  controllers: [
    RecordsController,
    SealedRecordsController,
    AccessController,
    ClaimsController,
    KeysController,
    HealthController,
  ],
  providers: [
    SealedUploadInterceptor,
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    // Order matters: rate limiting sees unauthenticated floods too.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class HttpModule {
  /** `useCases`: the modules exporting what the controllers, guards and filter inject. */
  static register(useCases: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return { module: HttpModule, imports: useCases };
  }
}
