import { randomBytes } from 'node:crypto';
import { LedgerAccessEntry } from '../../../src/domain/access-log';
import { Ledgers } from '../../../src/domain/ledgers';
import { AccessLogJournal } from '../../../src/domain/ports/access-log-journal.port';
import { KeyPair } from '../../../src/domain/ports/cipher.port';
import { RecordId } from '../../../src/domain/record-id';
import { InMemoryAccessLogJournal } from '../../../src/infrastructure/memory/in-memory-access-log.journal';
import { AccessEvent, AccessLogWriter, COLLAPSE_WINDOW_MS } from '../../../src/application/access/access-log-writer';
import { cipher, FlakyAccessLedger, openNote, REASON, until } from '../../support/access-log-writer-fixture';

/** #11.2: repeated own-record reads by one reader collapse into one journaled entry with a count. */
describe('AccessLogWriter', () => {
  let patient: KeyPair;
  let patientKey: Uint8Array;
  let ledger: FlakyAccessLedger;
  let otherLedger: FlakyAccessLedger;
  let ledgers: Ledgers;
  let errors: string[];
  const writers: AccessLogWriter[] = [];

  const emergency = (overrides: Partial<AccessEvent> = {}): AccessEvent => ({
    chain: 'supchain',
    patientKey,
    noteRecipients: [patient.publicKey],
    accessorKey: randomBytes(32),
    note: { accessorId: 'er-night-shift', accessorRole: 'provider', reason: REASON },
    recordId: RecordId.fromBytes(randomBytes(32)),
    kind: 'emergency',
    at: new Date(),
    ...overrides,
  });

  const writerOver = (journal: AccessLogJournal): AccessLogWriter => {
    const writer = new AccessLogWriter(ledgers, cipher, journal, (message) => errors.push(message));
    writers.push(writer);
    return writer;
  };

  const onLedger = () => ledger.accessLog(patientKey, { limit: 100 });

  beforeEach(async () => {
    patient = await cipher.generateKeyPair();
    patientKey = randomBytes(32);
    ledger = new FlakyAccessLedger('supchain', { now: () => new Date() });
    otherLedger = new FlakyAccessLedger('medchain', { now: () => new Date() });
    ledgers = new Ledgers([], [ledger, otherLedger]);
    errors = [];
  });

  afterEach(() => {
    for (const writer of writers.splice(0)) writer.stop();
  });

  describe('#11.2 repeated own-record reads', () => {
    const T0 = Date.parse('2030-01-01T08:00:00.000Z');
    const OWN_NOTE = { accessorId: 'dr-own', accessorRole: 'provider', reason: null };
    let reader: Uint8Array;
    let recordId: RecordId;

    const ownRead = (offsetMs: number, overrides: Partial<AccessEvent> = {}): AccessEvent =>
      emergency({
        accessorKey: reader,
        recordId,
        kind: 'own-upload',
        note: OWN_NOTE,
        at: new Date(T0 + offsetMs),
        ...overrides,
      });
    const counts = async (entries: readonly LedgerAccessEntry[]) =>
      Promise.all(
        entries.map(async (entry) => [entry.kind, entry.recordId?.hex, (await openNote(entry, patient)).count ?? 1]),
      );

    beforeEach(() => {
      reader = randomBytes(32);
      recordId = RecordId.fromBytes(randomBytes(32));
    });

    it('#11.2 collapses own-record reads by one reader within the window into one durable entry with a count', async () => {
      const journal = new InMemoryAccessLogJournal();
      const writer = writerOver(journal);
      await writer.record(ownRead(0));
      await writer.record(ownRead(1_000));

      // record() resolved: the journal already holds one entry counting both reads, at the first read's time.
      const [journaled, ...more] = await journal.pending();
      expect(more).toEqual([]);
      expect(journaled.entry.at).toEqual(new Date(T0));
      expect(await openNote(journaled.entry, patient)).toEqual({ ...OWN_NOTE, count: 2 });
      expect(writer.pendingFor('supchain', patientKey)).toEqual([journaled.entry]);

      await writer.record(ownRead(COLLAPSE_WINDOW_MS - 1));
      // Consent and emergency reads by the same reader of the same record are never collapsed.
      await writer.record(ownRead(2_000, { kind: 'consent' }));
      await writer.record(ownRead(3_000, { kind: 'emergency', note: { ...OWN_NOTE, reason: REASON } }));
      await writer.record(ownRead(3_500, { kind: 'emergency', note: { ...OWN_NOTE, reason: REASON } }));
      const otherRecord = RecordId.fromBytes(randomBytes(32));
      await writer.record(ownRead(4_000, { recordId: otherRecord }));
      await writer.record(ownRead(5_000, { accessorKey: randomBytes(32) }));
      expect(await journal.pending()).toHaveLength(6);
      // The window is over: the next read is a new entry.
      await writer.record(ownRead(COLLAPSE_WINDOW_MS));
      expect(await journal.pending()).toHaveLength(7);

      await writer.flush();
      expect(await journal.pending()).toEqual([]);
      const own = (await onLedger()).filter(
        (entry) => entry.kind === 'own-upload' && entry.recordId?.hex === recordId.hex,
      );
      expect((await counts(own)).map(([, , count]) => count).sort()).toEqual([1, 1, 3]);
      expect((await counts(await onLedger())).filter(([kind]) => kind !== 'own-upload')).toEqual([
        ['emergency', recordId.hex, 1],
        ['emergency', recordId.hex, 1],
        ['consent', recordId.hex, 1],
      ]);
    });

    it('#11.2 holds an open window in the journal while other entries drain, and counts concurrent reads exactly', async () => {
      const journal = new InMemoryAccessLogJournal();
      const writer = writerOver(journal);
      await Promise.all(Array.from({ length: 5 }, (_, n) => writer.record(ownRead(n))));
      await writer.record(emergency({ at: new Date(T0 + 10) }));
      await until(async () => (await onLedger()).length === 1);
      expect((await onLedger())[0].kind).toBe('emergency');
      const [held] = await journal.pending();
      expect(await openNote(held.entry, patient)).toEqual({ ...OWN_NOTE, count: 5 });
      expect(writer.pendingFor('supchain', patientKey)).toHaveLength(1);

      // Any later read past the window closes it (time comes from the events, i.e. the Clock port).
      await writer.record(emergency({ at: new Date(T0 + COLLAPSE_WINDOW_MS) }));
      await until(async () => (await onLedger()).length === 3);
      expect(await journal.pending()).toEqual([]);
    });
  });
});
