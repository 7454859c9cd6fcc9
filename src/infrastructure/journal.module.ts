import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import type { Environment } from '../config/environment';
import { AccessLogJournal } from '../domain/ports/access-log-journal.port';
import { IdempotencyStore } from '../domain/ports/idempotency-store.port';
import { ReplicationJournal } from '../domain/ports/replication-journal.port';
import { FileAccessLogJournal } from './journal/file-access-log.journal';
import { FileIdempotencyStore } from './journal/file-idempotency.store';
import { FileReplicationJournal } from './journal/file-replication.journal';
import { InMemoryAccessLogJournal } from './memory/in-memory-access-log.journal';

/**
 * Binds the durable local state under DATA_DIR that outlives a stop: the replication journal (copies
 * owed to a ledger), Idempotency-Key entries and the access-log journal (entries not yet on a ledger).
 * With LEDGER_BACKEND=memory the access-log journal is in memory too: its ledgers die with the process.
 */
@Global()
@Module({
  providers: [
    {
      provide: ReplicationJournal,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new FileReplicationJournal(join(config.get('DATA_DIR', { infer: true }), 'replication')),
    },
    {
      provide: IdempotencyStore,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new FileIdempotencyStore(join(config.get('DATA_DIR', { infer: true }), 'idempotency')),
    },
    {
      provide: AccessLogJournal,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>): AccessLogJournal => {
        if (config.get('LEDGER_BACKEND', { infer: true }) === 'memory') return new InMemoryAccessLogJournal();
        const logger = new Logger('AccessLog');
        return new FileAccessLogJournal(join(config.get('DATA_DIR', { infer: true }), 'access-log'), (message) =>
          logger.error(message),
        );
      },
    },
  ],
  exports: [ReplicationJournal, IdempotencyStore, AccessLogJournal],
})
export class JournalModule {}
