import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAccessLogJournal } from '../../src/infrastructure/journal/file-access-log.journal';
import { describeAccessLogJournalPort } from './access-log-journal.port-suite';

describeAccessLogJournalPort('file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emr-access-journal-port-'));
  return {
    journal: new FileAccessLogJournal(dir),
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
