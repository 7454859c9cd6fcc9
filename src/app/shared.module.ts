import { Logger, Module } from '@nestjs/common';
import { IntegrityMonitor } from '../application/shared/integrity-monitor';
import { LedgerFailover } from '../application/shared/ledger-failover';
import { Ledgers } from '../domain/ledgers';
import { provide, provideFactory } from './provide';

/** Binds src/application/shared: which ledger answers a read, and the tally of copies that failed checks. */
@Module({
  providers: [
    provideFactory(IntegrityMonitor, [], () => {
      const logger = new Logger('Integrity');
      return new IntegrityMonitor((message) => logger.error(message));
    }),
    provide(LedgerFailover, [Ledgers]),
  ],
  exports: [IntegrityMonitor, LedgerFailover],
})
export class SharedModule {}
