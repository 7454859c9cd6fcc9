import { Global, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import type { Environment } from '../config/environment';
import { Clock } from '../domain/ports/clock.port';
import { IDEMPOTENCY_WINDOW_MS, IdempotencyStore } from '../domain/ports/idempotency-store.port';
import { ReplicationJournal } from '../domain/ports/replication-journal.port';
import { FileIdempotencyStore } from './journal/file-idempotency.store';
import { FileReplicationJournal } from './journal/file-replication.journal';

/** Expired Idempotency-Key entries are at most this much older than the window before they go. */
const IDEMPOTENCY_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Forgets Idempotency-Key entries once their window has passed: at startup (before the
 * first request, which also rewrites entries of the older format that held PHI) and hourly.
 */
class IdempotencySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(IdempotencyStore) private readonly store: IdempotencyStore,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), IDEMPOTENCY_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async sweep(): Promise<void> {
    try {
      await this.store.sweep(new Date(this.clock.now().getTime() - IDEMPOTENCY_WINDOW_MS));
    } catch (error) {
      this.logger.warn(
        `Sweeping expired Idempotency-Key entries failed (${error instanceof Error ? error.name : 'error'}).`,
      );
    }
  }
}

/** Durable local state for redundancy: the replication journal and Idempotency-Key entries. */
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
    IdempotencySweeper,
  ],
  exports: [ReplicationJournal, IdempotencyStore],
})
export class ReplicationModule {}
