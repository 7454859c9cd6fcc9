import { Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AccessLogWriter } from '../application/access/access-log-writer';
import { RepairReplicasUseCase } from '../application/replication/repair-replicas.use-case';
import { ReplicationWorker } from '../application/replication/replication-worker';
import { Clock } from '../domain/ports/clock.port';
import { IDEMPOTENCY_WINDOW_MS, IdempotencyStore } from '../domain/ports/idempotency-store.port';
import { AccessModule } from './access.module';
import { provide } from './provide';
import { ReplicationModule } from './replication.module';

/** Expired Idempotency-Key entries are at most this much older than the window before they go. */
const IDEMPOTENCY_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Replication in the background: the journal is drained on start (and retried with
 * backoff), repair runs once at startup, and the worker stops before the ledgers close.
 */
export class ReplicationLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Replication');

  constructor(
    private readonly worker: ReplicationWorker,
    private readonly repair: RepairReplicasUseCase,
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

/** Flushes journaled access-log entries to the ledgers for a bounded time before the process exits. */
export class AccessLogShutdown implements OnApplicationShutdown {
  constructor(private readonly writer: AccessLogWriter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.writer.close();
  }
}

/**
 * Forgets Idempotency-Key entries once their window has passed: at startup (before the
 * first request, which also rewrites entries of the older format that held PHI) and hourly.
 */
export class IdempotencySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly clock: Clock,
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

/**
 * The service's work outside requests: the replication worker and startup repair, the access-log
 * flush on shutdown, the Idempotency-Key sweep. Not a global module, so Nest stops it before the
 * global infrastructure modules: the ledgers are still open while the worker stops and the log flushes.
 */
@Module({
  imports: [ReplicationModule, AccessModule],
  providers: [
    provide(ReplicationLifecycle, [ReplicationWorker, RepairReplicasUseCase]),
    provide(AccessLogShutdown, [AccessLogWriter]),
    provide(IdempotencySweeper, [IdempotencyStore, Clock]),
  ],
})
export class BackgroundModule {}
