import { randomBytes } from 'node:crypto';
import { LedgerAccessEntry } from '../../src/domain/access-log';
import { ChainUnavailableError } from '../../src/domain/errors';
import { Ledgers } from '../../src/domain/ledgers';
import { KeyPair } from '../../src/domain/ports/cipher.port';
import { KeyVault } from '../../src/domain/ports/key-vault.port';
import { Pseudonymizer } from '../../src/domain/ports/pseudonymizer.port';
import { principalRef } from '../../src/domain/principal';
import { RecordId } from '../../src/domain/record-id';
import { HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { InMemoryAccessLedger } from '../../src/infrastructure/memory/in-memory-access.ledger';
import { InMemoryAccessLogJournal } from '../../src/infrastructure/memory/in-memory-access-log.journal';
import { AccessLogWriter } from '../../src/application/access-log-writer';
import { ListAccessLogUseCase } from '../../src/application/list-access-log.use-case';

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

class OneKeyVault extends KeyVault {
  constructor(private readonly keys: KeyPair) {
    super();
  }

  async createKeyPair(): Promise<KeyPair> {
    return this.keys;
  }

  async keyPair(ref: string): Promise<KeyPair | null> {
    return ref === principalRef('patient', PATIENT_ID) ? this.keys : null;
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
    const useCase = new ListAccessLogUseCase(ledgers, new FixedPseudonymizer(), new OneKeyVault(keys), cipher, writer);
    const recordId = RecordId.fromBytes(randomBytes(32));
    try {
      await writer.record({
        chain: 'supchain',
        patientKey: PATIENT_KEY,
        patientPublicKey: keys.publicKey,
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
      };
      expect(await useCase.execute({ actor: patient, patientId: PATIENT_ID })).toEqual([
        expect.objectContaining(expected),
      ]);

      // The ledger stored the batch but the answer was lost: the entry is on the ledger and still journaled.
      ledger.loseConfirmation = true;
      await writer.flush();
      writer.stop();
      expect(writer.pendingFor('supchain', PATIENT_KEY)).toHaveLength(1);
      expect(await ledger.accessLog(PATIENT_KEY, { limit: 10 })).toHaveLength(1);
      expect(await useCase.execute({ actor: patient, patientId: PATIENT_ID })).toEqual([
        expect.objectContaining(expected),
      ]);

      // Retried and appended again (at least once): still one read.
      ledger.loseConfirmation = false;
      await writer.flush();
      expect(writer.pendingFor('supchain', PATIENT_KEY)).toEqual([]);
      expect(await ledger.accessLog(PATIENT_KEY, { limit: 10 })).toHaveLength(2);
      expect(await useCase.execute({ actor: patient, patientId: PATIENT_ID })).toEqual([
        expect.objectContaining(expected),
      ]);
    } finally {
      writer.stop();
    }
  });
});
