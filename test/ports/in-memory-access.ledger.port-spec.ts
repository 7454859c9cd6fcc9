import { InMemoryAccessLedger } from '../../src/infrastructure/memory/in-memory-access.ledger';
import { describeAccessLedgerPort } from './access-ledger.port-suite';

describeAccessLedgerPort('in-memory', async () => ({
  ledger: new InMemoryAccessLedger('supchain', { now: () => new Date() }),
  teardown: async () => undefined,
}));
