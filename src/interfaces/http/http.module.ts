import { Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { ThrottlerModule } from '@nestjs/throttler';
import { memoryStorage } from 'multer';
import { AccessLogWriter } from '../../application/access/access-log-writer';
import { AccessTokens, AdminCredential } from '../../domain/access-tokens';
import { AuthenticateUseCase } from '../../application/enrolment/authenticate.use-case';
import { BreakGlassBudget } from '../../application/access/break-glass-budget';
import { CreateProviderUseCase } from '../../application/enrolment/create-provider.use-case';
import { Enrolment } from '../../application/enrolment/enrolment';
import { EnrollPatientUseCase } from '../../application/enrolment/enroll-patient.use-case';
import { Idempotency } from '../../application/records/idempotency';
import { IntegrityMonitor } from '../../application/shared/integrity-monitor';
import { LedgerFailover } from '../../application/shared/ledger-failover';
import { RepairReplicasUseCase } from '../../application/replication/repair-replicas.use-case';
import { ReplicationStatusUseCase } from '../../application/replication/replication-status.use-case';
import { ReplicationWorker } from '../../application/replication/replication-worker';
import { ReplicaCopier } from '../../application/replication/replica-copier';
import { GetRecordMetadataUseCase } from '../../application/records/get-record-metadata.use-case';
import { GetRecordUseCase } from '../../application/records/get-record.use-case';
import { GrantConsentUseCase } from '../../application/access/grant-consent.use-case';
import { ListAccessLogUseCase } from '../../application/access/list-access-log.use-case';
import { ListConsentsUseCase } from '../../application/access/list-consents.use-case';
import { ListRecordsUseCase } from '../../application/records/list-records.use-case';
import { PatientAccess } from '../../application/access/patient-access';
import { RecordOpener } from '../../application/records/record-opener';
import { RecordReader } from '../../application/records/record-reader';
import { RevokeConsentUseCase } from '../../application/access/revoke-consent.use-case';
import { UploadPolicy } from '../../application/records/upload-policy';
import { UploadPreparation } from '../../application/records/upload-preparation';
import { UploadRecordUseCase } from '../../application/records/upload-record.use-case';
import type { Environment } from '../../config/environment';
import { Ledgers } from '../../domain/ledgers';
import { AccessLogJournal } from '../../domain/ports/access-log-journal.port';
import { Cipher } from '../../domain/ports/cipher.port';
import { Clock } from '../../domain/ports/clock.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { IdempotencyStore } from '../../domain/ports/idempotency-store.port';
import { ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { RandomSource } from '../../domain/ports/random.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { AccessController } from './access.controller';
import { AuthGuard } from './auth.guard';
import { HealthController } from './health.controller';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RateLimitGuard } from './rate-limit.guard';
import { RecordsController } from './records.controller';
import { createValidationPipe } from './validation';

/** Multipart form fields other than the file are tiny (`chain`). */
const MAX_FORM_FIELD_BYTES = 1024;
const MAX_FORM_FIELDS = 8;
const RATE_LIMIT_WINDOW_MS = 60_000;

/** Flushes journaled access-log entries to the ledgers for a bounded time before the process exits. */
class AccessLogShutdown implements OnApplicationShutdown {
  constructor(@Inject(AccessLogWriter) private readonly writer: AccessLogWriter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.writer.close();
  }
}

/**
 * Replication in the background: the journal is drained on start (and retried with
 * backoff), repair runs once at startup, and the worker stops before the ledgers close.
 */
class ReplicationLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Replication');

  constructor(
    @Inject(ReplicationWorker) private readonly worker: ReplicationWorker,
    @Inject(RepairReplicasUseCase) private readonly repair: RepairReplicasUseCase,
  ) {}

  onApplicationBootstrap(): void {
    this.worker.start();
    void this.repair.execute().then(
      (report) => {
        if (report.repaired + report.unrecoverable + report.unreachable > 0) {
          this.logger.log(
            `Startup repair: ${report.checked} replicated records checked, ${report.repaired} copies repaired, ` +
              `${report.unrecoverable} unrecoverable, ${report.unreachable} not checked (ledger unreachable).`,
          );
        }
      },
      (error: unknown) =>
        this.logger.warn(`Startup repair did not finish (${error instanceof Error ? error.name : 'error'}).`),
    );
  }

  onApplicationShutdown(): void {
    this.worker.stop();
  }
}

/** Builds a use case from the ports Nest injects, in constructor order. */
function useCase<T>(type: new (...args: never[]) => T, inject: unknown[]) {
  return {
    provide: type,
    inject: inject as never[],
    useFactory: (...deps: never[]) => new type(...deps),
  };
}

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
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        throttlers: [{ ttl: RATE_LIMIT_WINDOW_MS, limit: config.get('RATE_LIMIT_PER_MINUTE', { infer: true }) }],
      }),
    }),
  ],
  controllers: [RecordsController, AccessController, HealthController],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    // Order matters: rate limiting sees unauthenticated floods too.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
    {
      provide: UploadPolicy,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new UploadPolicy(config.get('MAX_UPLOAD_BYTES', { infer: true })),
    },
    {
      provide: AccessLogWriter,
      inject: [Ledgers, Cipher, AccessLogJournal],
      useFactory: async (ledgers: Ledgers, cipher: Cipher, journal: AccessLogJournal) => {
        const logger = new Logger('AccessLog');
        const writer = new AccessLogWriter(ledgers, cipher, journal, (message) => logger.warn(message));
        const resumed = await writer.resume();
        if (resumed > 0) logger.log(`Resuming ${resumed} access-log entries journaled before the last stop.`);
        return writer;
      },
    },
    AccessLogShutdown,
    ReplicationLifecycle,
    {
      provide: IntegrityMonitor,
      useFactory: () => {
        const logger = new Logger('Integrity');
        return new IntegrityMonitor((message) => logger.error(message));
      },
    },
    {
      provide: ReplicationWorker,
      inject: [Ledgers, ReplicationJournal],
      useFactory: (ledgers: Ledgers, journal: ReplicationJournal) => {
        const logger = new Logger('Replication');
        return new ReplicationWorker(ledgers, journal, (message) => logger.log(message));
      },
    },
    useCase(LedgerFailover, [Ledgers]),
    useCase(Idempotency, [IdempotencyStore, Hasher, Clock]),
    useCase(ReplicaCopier, [Ledgers, RecordSigner, ReplicationJournal, Clock]),
    useCase(RepairReplicasUseCase, [
      Ledgers,
      ReplicationJournal,
      ReplicationWorker,
      ReplicaCopier,
      RecordSigner,
      Hasher,
    ]),
    useCase(ReplicationStatusUseCase, [Ledgers, PatientAccess, ReplicationJournal]),
    useCase(RecordOpener, [Cipher, RecordSigner, Hasher]),
    {
      provide: BreakGlassBudget,
      inject: [ConfigService, Clock],
      useFactory: (config: ConfigService<Environment, true>, clock: Clock) =>
        new BreakGlassBudget(config.get('BREAK_GLASS_PER_HOUR', { infer: true }), clock),
    },
    useCase(PatientAccess, [PrincipalRepository, Ledgers, Pseudonymizer, KeyVault, Cipher, Clock, BreakGlassBudget]),
    useCase(Enrolment, [PrincipalRepository, KeyVault, Ledgers, AccessTokens, Clock]),
    useCase(AuthenticateUseCase, [PrincipalRepository, AccessTokens, AdminCredential]),
    useCase(UploadPreparation, [UploadPolicy, PatientAccess, Pseudonymizer, Hasher, RandomSource, Idempotency]),
    useCase(UploadRecordUseCase, [
      UploadPreparation,
      Ledgers,
      Cipher,
      Hasher,
      ReplicaCopier,
      ReplicationJournal,
      Idempotency,
    ]),
    useCase(ListRecordsUseCase, [Ledgers, PatientAccess, RecordOpener, AccessLogWriter, Clock, LedgerFailover]),
    useCase(RecordReader, [
      Ledgers,
      PatientAccess,
      RecordOpener,
      AccessLogWriter,
      Clock,
      LedgerFailover,
      IntegrityMonitor,
    ]),
    useCase(GetRecordUseCase, [RecordReader, RecordOpener]),
    useCase(GetRecordMetadataUseCase, [RecordReader]),
    useCase(CreateProviderUseCase, [Enrolment, Pseudonymizer]),
    useCase(EnrollPatientUseCase, [Enrolment, Pseudonymizer]),
    useCase(GrantConsentUseCase, [PrincipalRepository, Ledgers, Pseudonymizer, Clock]),
    useCase(RevokeConsentUseCase, [Ledgers, Pseudonymizer]),
    useCase(ListConsentsUseCase, [PrincipalRepository, Ledgers, Pseudonymizer, Clock]),
    useCase(ListAccessLogUseCase, [Ledgers, Pseudonymizer, KeyVault, Cipher, AccessLogWriter]),
  ],
})
export class HttpModule {}
