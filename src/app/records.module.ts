import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccessLogWriter } from '../application/access/access-log-writer';
import { EpochKeys } from '../application/access/epoch-keys';
import { PatientAccess } from '../application/access/patient-access';
import { GetRecordMetadataUseCase } from '../application/records/get-record-metadata.use-case';
import { FindDocumentsUseCase } from '../application/records/find-documents.use-case';
import { GetRecordUseCase } from '../application/records/get-record.use-case';
import { Idempotency } from '../application/records/idempotency';
import { ListRecordsUseCase } from '../application/records/list-records.use-case';
import { ProvideDocumentsUseCase } from '../application/records/provide-documents.use-case';
import { RecordOpener } from '../application/records/record-opener';
import { RecordReader } from '../application/records/record-reader';
import { UploadPolicy } from '../application/records/upload-policy';
import { UploadPreparation } from '../application/records/upload-preparation';
import { UploadRecordUseCase } from '../application/records/upload-record.use-case';
import { GetSealedRecordUseCase } from '../application/records/get-sealed-record.use-case';
import { GetSealingRecipientsUseCase } from '../application/records/get-sealing-recipients.use-case';
import { ListSealedRecordsUseCase } from '../application/records/list-sealed-records.use-case';
import { PatientRewrap } from '../application/records/patient-rewrap';
import { SealedRecordViews } from '../application/records/sealed-record-view';
import { SealingRecipients } from '../application/records/sealing-recipients';
import { UploadSealedRecordUseCase } from '../application/records/upload-sealed-record.use-case';
import { ReplicaCopier } from '../application/replication/replica-copier';
import { IntegrityMonitor } from '../application/shared/integrity-monitor';
import { LedgerFailover } from '../application/shared/ledger-failover';
import type { Environment } from '../config/environment';
import { Ledgers } from '../domain/ledgers';
import { Cipher } from '../domain/ports/cipher.port';
import { Clock } from '../domain/ports/clock.port';
import { Hasher } from '../domain/ports/hasher.port';
import { IdempotencyStore } from '../domain/ports/idempotency-store.port';
import { KeyVault } from '../domain/ports/key-vault.port';
import { PrincipalRepository } from '../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { RandomSource } from '../domain/ports/random.port';
import { RecordSigner } from '../domain/ports/record-signer.port';
import { ReplicationJournal } from '../domain/ports/replication-journal.port';
import { AccessModule } from './access.module';
import { EnrolmentModule } from './enrolment.module';
import { provide, provideFactory } from './provide';
import { ReplicationModule } from './replication.module';
import { SharedModule } from './shared.module';

/**
 * Binds src/application/records: upload (policy, Idempotency-Key replay, the copy for each ledger),
 * listing, and reading a record or its metadata; the patient's sealed records (list, read, upload). UploadPolicy is exported for the error filter, which
 * names the upload limit in its answer.
 */
@Module({
  imports: [AccessModule, EnrolmentModule, ReplicationModule, SharedModule],
  providers: [
    provideFactory(UploadPolicy, [ConfigService], (config: ConfigService<Environment, true>) => {
      return new UploadPolicy(config.get('MAX_UPLOAD_BYTES', { infer: true }));
    }),
    provide(Idempotency, [IdempotencyStore, Hasher, Clock]),
    provide(RecordOpener, [Cipher, RecordSigner, Hasher]),
    provide(UploadPreparation, [UploadPolicy, PatientAccess, Pseudonymizer, Hasher, RandomSource, Idempotency]),
    provide(UploadRecordUseCase, [
      UploadPreparation,
      Ledgers,
      Cipher,
      Hasher,
      ReplicaCopier,
      ReplicationJournal,
      Idempotency,
    ]),
    provide(ListRecordsUseCase, [Ledgers, PatientAccess, RecordOpener, AccessLogWriter, Clock, LedgerFailover]),
    provide(RecordReader, [
      Ledgers,
      PatientAccess,
      RecordOpener,
      AccessLogWriter,
      Clock,
      LedgerFailover,
      IntegrityMonitor,
    ]),
    provide(GetRecordUseCase, [RecordReader, RecordOpener]),
    provide(GetRecordMetadataUseCase, [RecordReader]),
    provide(ProvideDocumentsUseCase, [UploadPreparation, UploadRecordUseCase]),
    provide(FindDocumentsUseCase, [Ledgers, PatientAccess, RecordOpener, AccessLogWriter, Clock]),
    provide(SealingRecipients, [PrincipalRepository, Ledgers, Pseudonymizer, KeyVault, Clock]),
    provide(SealedRecordViews, [Ledgers, RecordSigner, Hasher, Cipher]),
    provide(GetSealingRecipientsUseCase, [PatientAccess, SealingRecipients]),
    provide(ListSealedRecordsUseCase, [Ledgers, PatientAccess, SealedRecordViews, PatientRewrap, LedgerFailover]),
    provide(GetSealedRecordUseCase, [
      Ledgers,
      PatientAccess,
      SealedRecordViews,
      PatientRewrap,
      Hasher,
      LedgerFailover,
      IntegrityMonitor,
      Clock,
    ]),
    provide(UploadSealedRecordUseCase, [
      PatientAccess,
      SealingRecipients,
      Ledgers,
      Cipher,
      RecordSigner,
      Hasher,
      KeyVault,
      ReplicaCopier,
      UploadPolicy,
      EpochKeys,
    ]),
  ],
  exports: [
    UploadPolicy,
    UploadRecordUseCase,
    ListRecordsUseCase,
    GetRecordUseCase,
    GetRecordMetadataUseCase,
    ProvideDocumentsUseCase,
    FindDocumentsUseCase,
    GetSealingRecipientsUseCase,
    ListSealedRecordsUseCase,
    GetSealedRecordUseCase,
    UploadSealedRecordUseCase,
  ],
})
export class RecordsModule {}
