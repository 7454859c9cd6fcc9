import { randomBytes } from 'node:crypto';
import { LedgerAccessEntry } from '../../../src/domain/access-log';
import { ChainUnavailableError, ValidationFailedError } from '../../../src/domain/errors';
import { Ledgers } from '../../../src/domain/ledgers';
import { KeyPair } from '../../../src/domain/ports/cipher.port';
import { Pseudonymizer } from '../../../src/domain/ports/pseudonymizer.port';
import { RecordId } from '../../../src/domain/record-id';
import { HpkeP256Cipher } from '../../../src/infrastructure/crypto/hpke-p256.cipher';
import { InMemoryAccessLedger } from '../../../src/infrastructure/memory/in-memory-access.ledger';
import { InMemoryAccessLogJournal } from '../../../src/infrastructure/memory/in-memory-access-log.journal';
import { AccessEvent, AccessLogWriter } from '../../../src/application/access/access-log-writer';
import { ListAccessLogUseCase } from '../../../src/application/access/list-access-log.use-case';
import { AccessNoteKey } from '../../../src/application/access/access-note-key';

const PATIENT_ID = 'P-2024';
const PATIENT_KEY = randomBytes(32);

class FixedPseudonymizer extends Pseudonymizer {
  patientKey(): Uint8Array {
    return PATIENT_KEY;
  }

  providerKey(): Uint8Array {
    return randomBytes(32);
  }
}

/** Confirms appends, but can be made to fail after storing them (a lost confirmation). */
class ForgetfulAccessLedger extends InMemoryAccessLedger {
  loseConfirmation = false;

  override async appendAccessLog(entries: readonly LedgerAccessEntry[]): Promise<void> {
    await super.appendAccessLog(entries);
    if (this.loseConfirmation) throw new ChainUnavailableError('Ledger supchain timed out.');
  }
}

describe('ListAccessLogUseCase', () => {
  const cipher = new HpkeP256Cipher();
  const patient = { role: 'patient' as const, id: PATIENT_ID, createdAt: new Date() };

  it('lists journaled entries at once, opened with the patient key, and an entry both journaled and on the ledger once', async () => {
    const keys = await cipher.generateKeyPair();
    const ledger = new ForgetfulAccessLedger('supchain', { now: () => new Date() });
    const ledgers = new Ledgers([], [ledger, new InMemoryAccessLedger('medchain', { now: () => new Date() })]);
    const writer = new AccessLogWriter(ledgers, cipher, new InMemoryAccessLogJournal());
    const useCase = new ListAccessLogUseCase(
      ledgers,
      new FixedPseudonymizer(),
      new AccessNoteKey(keys),
      cipher,
      writer,
    );
    const recordId = RecordId.fromBytes(randomBytes(32));
    try {
      await writer.record({
        chain: 'supchain',
        patientKey: PATIENT_KEY,
        noteRecipients: [keys.publicKey],
        accessorKey: randomBytes(32),
        note: { accessorId: 'er-team', accessorRole: 'provider', reason: 'cardiac arrest' },
        recordId,
        kind: 'emergency',
        at: new Date(),
      });
      // This test drives every flush itself.
      writer.stop();
      const expected = {
        accessorId: 'er-team',
        accessorRole: 'provider',
        chain: 'supchain',
        recordId: recordId.hex,
        kind: 'emergency',
        emergency: true,
        reason: 'cardiac arrest',
        count: 1,
      };
      expect((await useCase.execute({ actor: patient, patientId: PATIENT_ID })).entries).toEqual([
        expect.objectContaining(expected),
      ]);

      // The ledger stored the batch but the answer was lost: the entry is on the ledger and still journaled.
      ledger.loseConfirmation = true;
      await writer.flush();
      writer.stop();
      expect(writer.pendingFor('supchain', PATIENT_KEY)).toHaveLength(1);
      expect(await ledger.accessLog(PATIENT_KEY, { limit: 10 })).toHaveLength(1);
      expect((await useCase.execute({ actor: patient, patientId: PATIENT_ID })).entries).toEqual([
        expect.objectContaining(expected),
      ]);

      // Retried and appended again (at least once): still one read.
      ledger.loseConfirmation = false;
      await writer.flush();
      expect(writer.pendingFor('supchain', PATIENT_KEY)).toEqual([]);
      expect(await ledger.accessLog(PATIENT_KEY, { limit: 10 })).toHaveLength(2);
      expect((await useCase.execute({ actor: patient, patientId: PATIENT_ID })).entries).toEqual([
        expect.objectContaining(expected),
      ]);
    } finally {
      writer.stop();
    }
  });

  describe('#11.2 paging, emergencies and collapsed reads', () => {
    let keys: KeyPair;
    let supchain: InMemoryAccessLedger;
    let medchain: InMemoryAccessLedger;
    let writer: AccessLogWriter;
    let useCase: ListAccessLogUseCase;
    const T0 = Date.parse('2030-03-01T10:00:00.000Z');

    const read = (n: number, overrides: Partial<AccessEvent> = {}): AccessEvent => ({
      chain: 'supchain',
      patientKey: PATIENT_KEY,
      noteRecipients: [keys.publicKey],
      accessorKey: randomBytes(32),
      note: { accessorId: `reader-${n}`, accessorRole: 'provider', reason: null },
      recordId: RecordId.fromBytes(randomBytes(32)),
      kind: 'consent',
      at: new Date(T0 + n * 1_000),
      ...overrides,
    });
    const list = (input: { limit?: number; cursor?: string; kind?: string } = {}) =>
      useCase.execute({ actor: patient, patientId: PATIENT_ID, ...input });

    beforeEach(async () => {
      keys = await cipher.generateKeyPair();
      supchain = new InMemoryAccessLedger('supchain', { now: () => new Date() });
      medchain = new InMemoryAccessLedger('medchain', { now: () => new Date() });
      const ledgers = new Ledgers([], [supchain, medchain]);
      writer = new AccessLogWriter(ledgers, cipher, new InMemoryAccessLogJournal());
      useCase = new ListAccessLogUseCase(ledgers, new FixedPseudonymizer(), new AccessNoteKey(keys), cipher, writer);
    });

    afterEach(() => writer.stop());

    it('#11.2 pages newest first across both ledgers: every entry once, then no cursor', async () => {
      for (let n = 0; n < 12; n++) await writer.record(read(n, { chain: n % 3 === 0 ? 'medchain' : 'supchain' }));
      await writer.flush();
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await list({ limit: 5, cursor });
        seen.push(...page.entries.map((entry) => entry.accessorId));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(Array.from({ length: 12 }, (_, n) => `reader-${11 - n}`));
      expect(pages).toBe(3);
    });

    it('#11.2 a break-glass read stays in view after 105 quick reads: emergencyCount on every page, kind=emergency', async () => {
      await writer.record(
        read(0, { kind: 'emergency', note: { accessorId: 'er', accessorRole: 'provider', reason: 'coma' } }),
      );
      for (let n = 1; n <= 105; n++) await writer.record(read(n, { kind: 'own-upload' }));
      await writer.flush();

      const first = await list();
      expect(first.entries).toHaveLength(100);
      expect(first.entries.some((entry) => entry.emergency)).toBe(false);
      expect(first.emergencyCount).toBe(1);
      const second = await list({ cursor: first.nextCursor! });
      expect(second.emergencyCount).toBe(1);
      expect(second.entries.map((entry) => entry.accessorId)).toEqual([
        'reader-5',
        'reader-4',
        'reader-3',
        'reader-2',
        'reader-1',
        'er',
      ]);
      expect(second.nextCursor).toBeNull();

      const emergencies = await list({ kind: 'emergency' });
      expect(emergencies.entries).toEqual([expect.objectContaining({ accessorId: 'er', reason: 'coma', count: 1 })]);
      expect(emergencies.nextCursor).toBeNull();
      // Still journaled, not yet on a ledger: counted and listed once all the same.
      await writer.record(read(200, { chain: 'medchain', kind: 'emergency' }));
      writer.stop();
      expect((await list({ limit: 1 })).emergencyCount).toBe(2);
      expect((await list({ kind: 'emergency' })).entries.map((entry) => entry.chain)).toEqual(['medchain', 'supchain']);
    });

    it('#11.2 shows a collapsed window once, with its count, even when a crash left an older copy', async () => {
      const journal = new (class extends InMemoryAccessLogJournal {
        override async remove(): Promise<void> {
          throw new Error('EIO');
        }
      })();
      const ledgers = new Ledgers([], [supchain, medchain]);
      const stuck = new AccessLogWriter(ledgers, cipher, journal);
      const own = read(1, { kind: 'own-upload' });
      await stuck.record(own);
      await stuck.record({ ...own, at: new Date(own.at.getTime() + 5_000) });
      await stuck.flush();
      stuck.stop();
      // A restart sends the copy the journal could not forget (count 1) after the rewritten one (count 2).
      const restarted = new AccessLogWriter(ledgers, cipher, journal);
      await restarted.resume();
      await restarted.flush();
      restarted.stop();
      expect(await supchain.accessLog(PATIENT_KEY, { limit: 10 })).toHaveLength(3);
      expect((await list()).entries).toEqual([expect.objectContaining({ accessorId: 'reader-1', count: 2 })]);
    });

    it('#11.2 refuses a forged cursor, an unknown kind and a cursor of the other listing', async () => {
      for (let n = 0; n < 3; n++) await writer.record(read(n, { kind: 'emergency' }));
      await writer.flush();
      const emergencyPage = await list({ kind: 'emergency', limit: 1 });
      expect(emergencyPage.nextCursor).not.toBeNull();
      await expect(list({ cursor: emergencyPage.nextCursor! })).rejects.toMatchObject({ field: 'cursor' });
      await expect(list({ kind: 'consent' })).rejects.toMatchObject({ field: 'kind' });
      const forged = Buffer.from('log:all;supchain=7', 'utf8').toString('base64url');
      await expect(list({ cursor: forged })).rejects.toThrow(ValidationFailedError);
      await expect(list({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ field: 'cursor' });
    });
  });
});
