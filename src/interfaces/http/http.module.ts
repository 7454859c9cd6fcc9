import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import { GetRecordMetadataUseCase } from '../../application/get-record-metadata.use-case';
import { GetRecordUseCase } from '../../application/get-record.use-case';
import { ListRecordsUseCase } from '../../application/list-records.use-case';
import { RecordOpener } from '../../application/record-opener';
import { UploadPolicy } from '../../application/upload-policy';
import { UploadRecordUseCase } from '../../application/upload-record.use-case';
import { Ledgers } from '../../domain/ledgers';
import { Cipher } from '../../domain/ports/cipher.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PatientPseudonymizer } from '../../domain/ports/patient-pseudonymizer.port';
import { RandomSource } from '../../domain/ports/random.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import type { Environment } from '../../config/environment';
import { HealthController } from './health.controller';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RecordsController } from './records.controller';
import { createValidationPipe } from './validation';

/** Multipart form fields other than the file are tiny (`chain`). */
const MAX_FORM_FIELD_BYTES = 1024;
const MAX_FORM_FIELDS = 8;

/**
 * HTTP adapters and the use cases they drive. Ports are bound by the infrastructure
 * modules (global); this module never imports an adapter.
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
  ],
  controllers: [RecordsController, HealthController],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    {
      provide: UploadPolicy,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new UploadPolicy(config.get('MAX_UPLOAD_BYTES', { infer: true })),
    },
    {
      provide: RecordOpener,
      inject: [Cipher, RecordSigner, Hasher, KeyVault],
      useFactory: (cipher: Cipher, signer: RecordSigner, hasher: Hasher, keyVault: KeyVault) =>
        new RecordOpener(cipher, signer, hasher, keyVault),
    },
    {
      provide: UploadRecordUseCase,
      inject: [Ledgers, Cipher, RecordSigner, PatientPseudonymizer, Hasher, RandomSource, KeyVault, UploadPolicy],
      useFactory: (...ports: ConstructorParameters<typeof UploadRecordUseCase>) => new UploadRecordUseCase(...ports),
    },
    {
      provide: ListRecordsUseCase,
      inject: [Ledgers, PatientPseudonymizer, RecordOpener],
      useFactory: (...ports: ConstructorParameters<typeof ListRecordsUseCase>) => new ListRecordsUseCase(...ports),
    },
    {
      provide: GetRecordUseCase,
      inject: [Ledgers, PatientPseudonymizer, RecordOpener],
      useFactory: (...ports: ConstructorParameters<typeof GetRecordUseCase>) => new GetRecordUseCase(...ports),
    },
    {
      provide: GetRecordMetadataUseCase,
      inject: [Ledgers, PatientPseudonymizer, RecordOpener],
      useFactory: (...ports: ConstructorParameters<typeof GetRecordMetadataUseCase>) =>
        new GetRecordMetadataUseCase(...ports),
    },
  ],
})
export class HttpModule {}
