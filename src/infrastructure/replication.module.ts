import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import type { Environment } from '../config/environment';
import { IdempotencyStore } from '../domain/ports/idempotency-store.port';
import { ReplicationJournal } from '../domain/ports/replication-journal.port';
import { FileIdempotencyStore } from './journal/file-idempotency.store';
import { FileReplicationJournal } from './journal/file-replication.journal';

/** Durable local state for redundancy: the replication journal and idempotency outcomes. */
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
  ],
  exports: [ReplicationJournal, IdempotencyStore],
})
export class ReplicationModule {}
