import { InMemoryAccessLogJournal } from '../../src/infrastructure/memory/in-memory-access-log.journal';
import { describeAccessLogJournalPort } from './access-log-journal.port-suite';

describeAccessLogJournalPort('in-memory', async () => ({
  journal: new InMemoryAccessLogJournal(),
  teardown: async () => undefined,
}));
