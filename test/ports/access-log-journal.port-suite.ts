import { randomBytes } from 'node:crypto';
import { LedgerAccessEntry } from '../../src/domain/access-log';
import { AccessLogJournal } from '../../src/domain/ports/access-log-journal.port';
import { RecordId } from '../../src/domain/record-id';

export interface AccessLogJournalFixture {
  journal: AccessLogJournal;
  teardown(): Promise<void>;
}

function entry(overrides: Partial<LedgerAccessEntry> = {}): LedgerAccessEntry {
  return {
    patientKey: randomBytes(32),
    accessorKey: randomBytes(32),
    recordId: RecordId.fromBytes(randomBytes(32)),
    kind: 'consent',
    at: new Date(),
    sealedNote: randomBytes(180),
    ...overrides,
  };
}

function expectSameEntry(actual: LedgerAccessEntry, expected: LedgerAccessEntry): void {
  expect(Buffer.from(actual.patientKey).equals(Buffer.from(expected.patientKey))).toBe(true);
  expect(Buffer.from(actual.accessorKey).equals(Buffer.from(expected.accessorKey))).toBe(true);
  expect(Buffer.from(actual.sealedNote).equals(Buffer.from(expected.sealedNote))).toBe(true);
  expect(actual.recordId?.hex ?? null).toBe(expected.recordId?.hex ?? null);
  expect(actual.kind).toBe(expected.kind);
  expect(actual.at.getTime()).toBe(expected.at.getTime());
}

/** Behaviour every AccessLogJournal adapter must show (in memory and on disk). */
export function describeAccessLogJournalPort(name: string, setup: () => Promise<AccessLogJournalFixture>): void {
  describe(`AccessLogJournal port: ${name}`, () => {
    let fixture: AccessLogJournalFixture;
    let journal: AccessLogJournal;

    beforeEach(async () => {
      fixture = await setup();
      journal = fixture.journal;
    });

    afterEach(async () => {
      await fixture?.teardown();
    });

    it('starts empty', async () => {
      expect(await journal.pending()).toEqual([]);
    });

    it('gives back every entry added, field for field, with its ledger and a distinct id', async () => {
      const emergency = entry({ kind: 'emergency', at: new Date(Date.now() - 1000) });
      const listing = entry({ recordId: null, kind: 'own-upload' });
      const first = await journal.add('supchain', emergency);
      const second = await journal.add('medchain', listing);
      expect(first.id).not.toBe(second.id);

      const pending = await journal.pending();
      expect(pending.map((item) => [item.id, item.chain])).toEqual([
        [first.id, 'supchain'],
        [second.id, 'medchain'],
      ]);
      expectSameEntry(pending[0].entry, emergency);
      expectSameEntry(pending[1].entry, listing);
    });

    it('lists oldest first, whatever the order of adding', async () => {
      const now = Date.now();
      const late = await journal.add('supchain', entry({ at: new Date(now) }));
      const early = await journal.add('supchain', entry({ at: new Date(now - 60_000) }));
      expect((await journal.pending()).map((item) => item.id)).toEqual([early.id, late.id]);
    });

    it('forgets removed entries only, and ignores ids it does not know', async () => {
      const kept = await journal.add('supchain', entry());
      const confirmed = await journal.add('supchain', entry());
      const alsoConfirmed = await journal.add('medchain', entry());
      await journal.remove([confirmed.id, alsoConfirmed.id, 'not-an-id', '../../escape']);
      expect((await journal.pending()).map((item) => item.id)).toEqual([kept.id]);
      await journal.remove([confirmed.id]);
      await journal.remove([]);
      expect((await journal.pending()).map((item) => item.id)).toEqual([kept.id]);
    });
  });
}
