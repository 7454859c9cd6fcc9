import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Ledgers } from '../domain/ledgers';
import { Clock } from '../domain/ports/clock.port';
import type { Environment } from '../config/environment';
import { InMemoryAccessLedger } from './memory/in-memory-access.ledger';
import { InMemoryEmrRepository } from './memory/in-memory-emr.repository';

/**
 * Binds the set of ledgers from LEDGER_BACKEND: `memory` (both ledgers in process,
 * for integration suites), `embedded` (two local chains started with the service)
 * or `rpc` (remote chains from configuration).
 */
@Global()
@Module({
  providers: [
    {
      provide: Ledgers,
      inject: [ConfigService, Clock],
      useFactory: async (config: ConfigService<Environment, true>, clock: Clock): Promise<Ledgers> => {
        const backend = config.get('LEDGER_BACKEND', { infer: true });
        const logger = new Logger('Ledgers');
        if (backend === 'memory') {
          logger.log('Using in-memory ledgers (data is lost when the process exits).');
          return new Ledgers(
            [new InMemoryEmrRepository('supchain', clock), new InMemoryEmrRepository('medchain', clock)],
            [new InMemoryAccessLedger('supchain', clock), new InMemoryAccessLedger('medchain', clock)],
          );
        }
        throw new Error(`LEDGER_BACKEND=${backend} is not available yet; use LEDGER_BACKEND=memory.`);
      },
    },
  ],
  exports: [Ledgers],
})
export class LedgerModule {}
