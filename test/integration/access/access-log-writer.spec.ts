import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledgers } from '../../../src/domain/ledgers';
import { AccessLogJournal, JournaledAccessEntry } from '../../../src/domain/ports/access-log-journal.port';
import { KeyPair } from '../../../src/domain/ports/cipher.port';
import { RecordId } from '../../../src/domain/record-id';
import { FileAccessLogJournal } from '../../../src/infrastructure/journal/file-access-log.journal';
import { InMemoryAccessLogJournal } from '../../../src/infrastructure/memory/in-memory-access-log.journal';
import { AccessEvent, AccessLogWriter } from '../../../src/application/access/access-log-writer';
import { cipher, FlakyAccessLedger, openNote, REASON, until } from '../../support/access-log-writer-fixture';

/** A disk that refuses writes. */
class FullDiskJournal extends InMemoryAccessLogJournal {
  override async add(): Promise<JournaledAccessEntry> {
    throw new Error('ENOSPC: no space left on device');
  }
}

/**
 * Journal first, ledger later: draining, retries while a ledger is down, a restart, close() and a
 * full disk. The collapsing of repeated own-record reads is in access-log-writer-collapse.spec.ts.
 */
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

  it('journals the sealed entry before record() resolves, and nothing reaches the ledger on the read path', async () => {
    const journal = new InMemoryAccessLogJournal();
    const writer = writerOver(journal);
    const event = emergency();
    await writer.record(event);

    const [journaled] = await journal.pending();
    expect(journaled).toMatchObject({
      chain: 'supchain',
      entry: { kind: 'emergency', recordId: event.recordId, at: event.at },
    });
    expect(journaled.entry.patientKey).toEqual(patientKey);
    expect(journaled.entry.accessorKey).toEqual(event.accessorKey);
    expect(await openNote(journaled.entry, patient)).toEqual(event.note);
    expect(await onLedger()).toEqual([]);
    expect(writer.pendingFor('supchain', patientKey)).toEqual([journaled.entry]);
    expect(writer.pendingFor('supchain', randomBytes(32))).toEqual([]);
  });

  it('flush() also writes what was queued while a drain already under way had passed that ledger', async () => {
    const writer = writerOver(new InMemoryAccessLogJournal());
    await writer.record(emergency());
    let open!: () => void;
    otherLedger.gate = new Promise((resolve) => (open = resolve));
    await writer.record(emergency({ chain: 'medchain' }));
    // The scheduled drain writes SUPchain's entry, then waits on MEDchain.
    await until(async () => (await onLedger()).length === 1);
    const late = emergency();
    await writer.record(late);
    const flushed = writer.flush();
    open();
    await flushed;

    expect((await onLedger()).map((entry) => entry.recordId?.hex)).toContain(late.recordId?.hex);
    expect(writer.pendingFor('supchain', patientKey)).toEqual([]);
  });

  it('drains the journal to the ledger, and forgets an entry only once the ledger has it', async () => {
    const journal = new InMemoryAccessLogJournal();
    const writer = writerOver(journal);
    await writer.record(emergency());
    await writer.record(
      emergency({ kind: 'consent', note: { accessorId: 'gp', accessorRole: 'provider', reason: null } }),
    );
    await writer.flush();

    const entries = await onLedger();
    expect(entries.map((entry) => entry.kind).sort()).toEqual(['consent', 'emergency']);
    expect(
      (
        await openNote(
          entries.find((entry) => entry.kind === 'emergency')!,
          patient,
        )
      ).reason,
    ).toBe(REASON);
    expect(await journal.pending()).toEqual([]);
    expect(writer.pendingFor('supchain', patientKey)).toEqual([]);
  });

  it('drains on its own shortly after a read, in batches', async () => {
    const journal = new InMemoryAccessLogJournal();
    const writer = writerOver(journal);
    await Promise.all(Array.from({ length: 120 }, () => writer.record(emergency())));
    await until(async () => (await journal.pending()).length === 0);
    expect((await onLedger()).length).toBe(100);
    expect(ledger.batches.reduce((sum, size) => sum + size, 0)).toBe(120);
    expect(Math.max(...ledger.batches)).toBeLessThanOrEqual(50);
  });

  it('keeps entries in the journal while the ledger is down, and retries with backoff until it is back', async () => {
    const journal = new InMemoryAccessLogJournal();
    const writer = writerOver(journal);
    ledger.reachable = false;
    const event = emergency();
    await writer.record(event);
    await writer.flush();

    expect(await journal.pending()).toHaveLength(1);
    expect(writer.pendingFor('supchain', patientKey)).toHaveLength(1);
    expect(await onLedger()).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    for (const message of errors) {
      expect(message).not.toContain(REASON);
      expect(message).not.toContain('er-night-shift');
    }

    // Nobody calls flush() from here on: the writer's own retry delivers it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await journal.pending()).toHaveLength(1);
    ledger.reachable = true;
    await until(async () => (await onLedger()).length === 1);
    await until(async () => (await journal.pending()).length === 0);
    expect(writer.pendingFor('supchain', patientKey)).toEqual([]);
    const [entry] = await onLedger();
    expect(entry.recordId?.hex).toBe(event.recordId?.hex);
    expect((await openNote(entry, patient)).reason).toBe(REASON);
  });

  it('a new writer over the same journal directory (a restart) resumes what the last one left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emr-access-writer-'));
    try {
      ledger.reachable = false;
      otherLedger.reachable = false;
      const before = writerOver(new FileAccessLogJournal(dir));
      const first = emergency();
      const second = emergency({ chain: 'medchain' });
      await before.record(first);
      await before.record(second);
      await before.flush();
      before.stop();
      expect(readdirSync(join(dir, 'pending'))).toHaveLength(2);

      ledger.reachable = true;
      otherLedger.reachable = true;
      const after = writerOver(new FileAccessLogJournal(dir));
      expect(after.pendingFor('supchain', patientKey)).toEqual([]);
      expect(await after.resume()).toBe(2);
      expect(after.pendingFor('supchain', patientKey)).toHaveLength(1);
      expect(after.pendingFor('medchain', patientKey)).toHaveLength(1);
      await after.flush();

      const [onSupchain] = await onLedger();
      const [onMedchain] = await otherLedger.accessLog(patientKey, { limit: 100 });
      expect(onSupchain.recordId?.hex).toBe(first.recordId?.hex);
      expect(onMedchain.recordId?.hex).toBe(second.recordId?.hex);
      expect(await openNote(onSupchain, patient)).toEqual(first.note);
      expect(readdirSync(join(dir, 'pending'))).toEqual([]);
      expect(await after.resume()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() gives a hanging ledger a bounded time, then leaves the entries journaled', async () => {
    const journal = new InMemoryAccessLogJournal();
    const writer = writerOver(journal);
    ledger.hang = true;
    await writer.record(emergency());
    const started = Date.now();
    await writer.close(100);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await journal.pending()).toHaveLength(1);
  });

  it('close() flushes what it can when the ledger answers', async () => {
    const journal = new InMemoryAccessLogJournal();
    const writer = writerOver(journal);
    await writer.record(emergency());
    await writer.close();
    expect(await journal.pending()).toEqual([]);
    expect(await onLedger()).toHaveLength(1);
  });

  it('refuses the read when the entry cannot be journaled, without naming the reader or the reason', async () => {
    const writer = writerOver(new FullDiskJournal());
    await expect(writer.record(emergency())).rejects.toThrow('ENOSPC');
    expect(writer.pendingFor('supchain', patientKey)).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toContain(REASON);
    expect(errors[0]).not.toContain('er-night-shift');
  });
});
