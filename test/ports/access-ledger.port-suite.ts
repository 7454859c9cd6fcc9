import { createHash, randomBytes } from 'node:crypto';
import { LedgerAccessEntry } from '../../src/domain/access-log';
import { ConsentAction, consentMessage, grantDataHash } from '../../src/domain/consent-message';
import {
  ConsentSignatureInvalidError,
  KeysAlreadyRegisteredError,
  KeysNotRegisteredError,
  ValidationFailedError,
} from '../../src/domain/errors';
import {
  AccessLedger,
  MAX_KEY_ENVELOPE_BYTES,
  MAX_RECORD_KEYS,
  RecordKeyEntry,
} from '../../src/domain/ports/access-ledger.port';
import { RecordId } from '../../src/domain/record-id';
import { ConsentSigningKey, opaqueEpoch, opaqueSlot, withHighS } from '../fakes/consent-signing';
import { verifyMessage } from '../fakes/consent-signature';

/** A one-slot v2 key envelope's length: version, slot count, one 113-byte slot. */
export const ONE_SLOT_ENVELOPE_BYTES = 115;

export interface AccessLedgerFixture {
  ledger: AccessLedger;
  teardown(): Promise<void>;
}

function entry(patientKey: Uint8Array, overrides: Partial<LedgerAccessEntry> = {}): LedgerAccessEntry {
  return {
    patientKey,
    accessorKey: randomBytes(32),
    recordId: RecordId.fromBytes(randomBytes(32)),
    kind: 'consent',
    at: new Date(Math.floor(Date.now() / 1000) * 1000),
    sealedNote: new Uint8Array(0),
    ...overrides,
  };
}

export function recordKey(
  patientKey: Uint8Array,
  recordId: RecordId,
  keyEnvelope: Uint8Array = randomBytes(ONE_SLOT_ENVELOPE_BYTES),
): RecordKeyEntry {
  return { patientKey, recordId, keyEnvelope };
}

export const newRecordId = (): RecordId => RecordId.fromBytes(randomBytes(32));

const hexes = (envelopes: readonly Uint8Array[]): string[] =>
  envelopes.map((envelope) => Buffer.from(envelope).toString('hex'));

/** Behaviour every AccessLedger adapter must show (in-memory on every run, EVM on a local chain). */
export function describeAccessLedgerPort(name: string, setup: () => Promise<AccessLedgerFixture>): void {
  describe(`AccessLedger port: ${name}`, () => {
    let fixture: AccessLedgerFixture;
    let ledger: AccessLedger;

    beforeAll(async () => {
      fixture = await setup();
      ledger = fixture.ledger;
    });

    afterAll(async () => {
      await fixture?.teardown();
    });

    it('publishes, reads and rotates public keys', async () => {
      const subject = randomBytes(32);
      expect(await ledger.publicKeyOf(subject)).toBeNull();
      const first = randomBytes(65);
      await ledger.publishPublicKey(subject, first);
      expect(Buffer.from((await ledger.publicKeyOf(subject))!)).toEqual(first);
      const second = randomBytes(65);
      await ledger.publishPublicKey(subject, second);
      expect(Buffer.from((await ledger.publicKeyOf(subject))!)).toEqual(second);
    });

    /** A patient with a registered signing key and epoch 0. */
    async function registeredPatient(): Promise<{ patient: Uint8Array; key: ConsentSigningKey }> {
      const patient = randomBytes(32);
      const key = ConsentSigningKey.generate();
      await key.register(ledger, patient);
      return { patient, key };
    }

    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

    it('grants, re-grants and revokes consent', async () => {
      const { patient, key } = await registeredPatient();
      const provider = randomBytes(32);
      expect(await ledger.consentFor(patient, provider)).toBeNull();

      const expiry = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const slot = opaqueSlot();
      const granted = await ledger.grantConsent(
        patient,
        provider,
        expiry,
        await key.signGrant(ledger, patient, provider, expiry, slot),
        slot,
      );
      expect(granted.expiresAt?.getTime()).toBe(expiry.getTime());
      expect(granted.grantedAt).toBeInstanceOf(Date);

      const found = await ledger.consentFor(patient, provider);
      expect(found?.expiresAt?.getTime()).toBe(expiry.getTime());
      expect(Buffer.from(found!.providerKey)).toEqual(provider);

      await key.grant(ledger, patient, provider, null);
      expect((await ledger.consentFor(patient, provider))?.expiresAt).toBeNull();

      await key.revoke(ledger, patient, provider);
      expect(await ledger.consentFor(patient, provider)).toBeNull();
      await expect(key.revoke(ledger, patient, provider)).resolves.toBeUndefined();
    });

    it('lists no consents for a patient who never gave any', async () => {
      expect(await ledger.consentsOf(randomBytes(32))).toEqual([]);
    });

    it("lists a patient's consents and keeps patients apart", async () => {
      const { patient, key } = await registeredPatient();
      const { patient: other, key: otherKey } = await registeredPatient();
      const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
      await key.grant(ledger, patient, a);
      await key.grant(ledger, patient, b);
      await otherKey.grant(ledger, other, c);
      await key.revoke(ledger, patient, a);

      const consents = await ledger.consentsOf(patient);
      expect(consents.map((consent) => Buffer.from(consent.providerKey).toString('hex'))).toEqual([b.toString('hex')]);
      expect(await ledger.consentFor(other, b)).toBeNull();
    });

    it('#14 registers a signing key once, with epoch 0; reads it back, nonce 0', async () => {
      const patient = randomBytes(32);
      const key = ConsentSigningKey.generate();
      expect(await ledger.patientSigningKey(patient)).toBeNull();
      expect(await ledger.currentEpoch(patient)).toBeNull();
      const epoch = await key.register(ledger, patient);
      expect(hex((await ledger.patientSigningKey(patient))!)).toBe(hex(key.publicKey));
      expect(await ledger.consentNonce(patient)).toBe(0n);
      const current = await ledger.currentEpoch(patient);
      expect(current?.index).toBe(0);
      expect(hex(current!.publicKey)).toBe(hex(epoch.publicKey));
      await expect(key.register(ledger, patient)).rejects.toThrow(KeysAlreadyRegisteredError);
    });

    it('#14 a valid grant is stored and spends the nonce; its slot joins the current epoch', async () => {
      const { patient, key } = await registeredPatient();
      const provider = randomBytes(32);
      const slot = opaqueSlot();
      const signed = await key.signGrant(ledger, patient, provider, null, slot);
      await expect(ledger.checkGrantConsent(patient, provider, null, signed, slot)).resolves.toBeUndefined();
      expect(await ledger.consentFor(patient, provider)).toBeNull(); // the dry run wrote nothing
      await ledger.grantConsent(patient, provider, null, signed, slot);
      expect(await ledger.consentFor(patient, provider)).not.toBeNull();
      expect(await ledger.consentNonce(patient)).toBe(1n);
      const [epoch0] = await ledger.epochs(patient);
      expect(epoch0.slots.map(hex)).toHaveLength(2);
      expect(hex(epoch0.slots[1])).toBe(hex(slot));
    });

    it('#14 a forged signature (another key) is refused with CONSENT_SIGNATURE_INVALID and nothing is written', async () => {
      const { patient } = await registeredPatient();
      const forger = ConsentSigningKey.generate();
      const provider = randomBytes(32);
      const slot = opaqueSlot();
      const forged = await forger.signGrant(ledger, patient, provider, null, slot);
      await expect(ledger.checkGrantConsent(patient, provider, null, forged, slot)).rejects.toThrow(
        ConsentSignatureInvalidError,
      );
      await expect(ledger.grantConsent(patient, provider, null, forged, slot)).rejects.toThrow(/bad signature/);
      expect(await ledger.consentFor(patient, provider)).toBeNull();
      expect(await ledger.consentNonce(patient)).toBe(0n);
    });

    it('#14 a signature over another slot, a replayed nonce and a high-S signature are refused', async () => {
      const { patient, key } = await registeredPatient();
      const provider = randomBytes(32);
      const slot = opaqueSlot();
      const signed = await key.signGrant(ledger, patient, provider, null, slot);
      await expect(ledger.grantConsent(patient, provider, null, signed, opaqueSlot())).rejects.toThrow(/bad signature/);
      await expect(ledger.grantConsent(patient, provider, null, withHighS(signed), slot)).rejects.toThrow(/high s/);
      await ledger.grantConsent(patient, provider, null, signed, slot);
      await expect(ledger.grantConsent(patient, provider, null, signed, slot)).rejects.toThrow(
        /stale nonce \(expected 1, given 0\)/,
      );
    });

    it('#14 a grant for a patient without a signing key is KEYS_NOT_REGISTERED', async () => {
      const patient = randomBytes(32);
      const key = ConsentSigningKey.generate();
      const provider = randomBytes(32);
      const slot = opaqueSlot();
      const signed = await key.signGrant(ledger, patient, provider, null, slot, 0n);
      await expect(ledger.grantConsent(patient, provider, null, signed, slot)).rejects.toThrow(KeysNotRegisteredError);
    });

    it('#14 revoke starts a new epoch; epochs and their slots read back, oldest first', async () => {
      const { patient, key } = await registeredPatient();
      const provider = randomBytes(32);
      const grantSlot = opaqueSlot();
      await key.grant(ledger, patient, provider, null, grantSlot);
      const next = opaqueEpoch(2);
      const signed = await key.signRevoke(ledger, patient, provider, next);
      await expect(ledger.revokeConsent(patient, provider, signed, opaqueEpoch(2))).rejects.toThrow(
        ConsentSignatureInvalidError,
      );
      await ledger.revokeConsent(patient, provider, signed, next);
      const epochs = await ledger.epochs(patient);
      expect(epochs.map((epoch) => epoch.index)).toEqual([0, 1]);
      expect(epochs[0].slots).toHaveLength(2);
      expect(hex(epochs[0].slots[1])).toBe(hex(grantSlot));
      expect(hex(epochs[1].publicKey)).toBe(hex(next.publicKey));
      expect(epochs[1].slots.map(hex)).toEqual(next.slots.map(hex));
      expect((await ledger.currentEpoch(patient))?.index).toBe(1);
      expect(await ledger.consentNonce(patient)).toBe(2n);
    });

    it('#14 replaces the signing key with a change signed by the current one; grants then need the new key', async () => {
      const { patient, key } = await registeredPatient();
      const next = ConsentSigningKey.generate();
      const signed = await key.signReplace(ledger, patient, next.publicKey);
      await expect(ledger.checkReplacePatientKey(patient, next.publicKey, signed)).resolves.toBeUndefined();
      expect(hex((await ledger.patientSigningKey(patient))!)).toBe(hex(key.publicKey)); // the dry run wrote nothing
      await ledger.replacePatientKey(patient, next.publicKey, signed);
      expect(hex((await ledger.patientSigningKey(patient))!)).toBe(hex(next.publicKey));
      expect(await ledger.consentNonce(patient)).toBe(1n);
      const provider = randomBytes(32);
      const slot = opaqueSlot();
      const byOld = await key.signGrant(ledger, patient, provider, null, slot);
      await expect(ledger.grantConsent(patient, provider, null, byOld, slot)).rejects.toThrow(/bad signature/);
      await next.grant(ledger, patient, provider, null, slot);
      expect(await ledger.consentFor(patient, provider)).not.toBeNull();
    });

    it('#14 a key replacement signed by another key is CONSENT_SIGNATURE_INVALID and changes nothing', async () => {
      const { patient, key } = await registeredPatient();
      const forger = ConsentSigningKey.generate();
      const forged = await forger.signReplace(ledger, patient, forger.publicKey);
      await expect(ledger.checkReplacePatientKey(patient, forger.publicKey, forged)).rejects.toThrow(
        ConsentSignatureInvalidError,
      );
      await expect(ledger.replacePatientKey(patient, forger.publicKey, forged)).rejects.toThrow(/bad signature/);
      expect(hex((await ledger.patientSigningKey(patient))!)).toBe(hex(key.publicKey));
      expect(await ledger.consentNonce(patient)).toBe(0n);
    });

    it('#14 a replayed key replacement is refused with a stale nonce; a key with a zero coordinate is refused', async () => {
      const { patient, key } = await registeredPatient();
      const next = ConsentSigningKey.generate();
      const signed = await key.signReplace(ledger, patient, next.publicKey);
      await ledger.replacePatientKey(patient, next.publicKey, signed);
      await expect(ledger.replacePatientKey(patient, next.publicKey, signed)).rejects.toThrow(
        /stale nonce \(expected 1, given 0\)/,
      );
      const zeroY = Uint8Array.from(next.publicKey).fill(0, 33);
      const forZero = await next.signReplace(ledger, patient, zeroY);
      await expect(ledger.replacePatientKey(patient, zeroY, forZero)).rejects.toThrow(ValidationFailedError);
      expect(hex((await ledger.patientSigningKey(patient))!)).toBe(hex(next.publicKey));
    });

    it('#14 history: grants and revokes oldest first, each message re-verifiable with the patient key', async () => {
      const { patient, key } = await registeredPatient();
      const provider = randomBytes(32);
      await key.grant(ledger, patient, provider);
      await key.revoke(ledger, patient, provider);
      const history = await ledger.consentHistory(patient);
      expect(history.map((change) => [change.action, change.nonce])).toEqual([
        ['grant', 0n],
        ['revoke', 1n],
      ]);
      const domain = await ledger.consentDomain();
      const [grant] = history;
      expect(hex(grant.providerKey)).toBe(hex(provider));
      expect(grant.at).toBeInstanceOf(Date);
      expect(hex(grant.message)).toBe(
        hex(
          consentMessage({
            ...domain,
            action: ConsentAction.Grant,
            patientKey: patient,
            providerKey: provider,
            expiresAt: 0n,
            nonce: 0n,
            dataHash: grantDataHash(
              (await ledger.epochs(patient))[0].slots[1],
              (data) => new Uint8Array(createHash('sha256').update(data).digest()),
            ),
          }),
        ),
      );
      for (const change of history) {
        expect(
          verifyMessage(key.key.x, key.key.y, change.message, {
            r: `0x${hex(change.r)}`,
            s: `0x${hex(change.s)}`,
          }),
        ).toBe(true);
      }
      expect(await ledger.consentHistory(randomBytes(32))).toEqual([]);
    });

    it('appends access-log entries and pages them newest first', async () => {
      const patient = randomBytes(32);
      const entries = [
        entry(patient, { kind: 'own-upload' }),
        entry(patient, { kind: 'emergency', sealedNote: randomBytes(120) }),
        entry(patient, { recordId: null }),
      ];
      await ledger.appendAccessLog(entries.slice(0, 2));
      await ledger.appendAccessLog(entries.slice(2));

      const all = await ledger.accessLog(patient, { limit: 10 });
      expect(all.map((e) => e.position)).toEqual([3, 2, 1]);
      expect(all[0].recordId).toBeNull();
      expect(all[1].kind).toBe('emergency');
      expect(Buffer.from(all[1].sealedNote)).toEqual(Buffer.from(entries[1].sealedNote));
      expect(all[2].recordId?.hex).toBe(entries[0].recordId?.hex);
      expect(Buffer.from(all[2].accessorKey)).toEqual(Buffer.from(entries[0].accessorKey));
      expect(all[2].at.getTime()).toBe(entries[0].at.getTime());

      const page = await ledger.accessLog(patient, { limit: 1, beforePosition: 3 });
      expect(page.map((e) => e.position)).toEqual([2]);
      expect(await ledger.accessLog(randomBytes(32), { limit: 10 })).toEqual([]);
    });

    it('#11.2 counts and pages emergency entries apart from a flood of other reads', async () => {
      const patient = randomBytes(32);
      const first = entry(patient, { kind: 'emergency', sealedNote: randomBytes(40) });
      const flood = Array.from({ length: 105 }, () => entry(patient, { kind: 'own-upload' }));
      const last = entry(patient, { kind: 'emergency', sealedNote: randomBytes(40) });
      await ledger.appendAccessLog([first, ...flood, last, entry(patient)]);
      await ledger.appendAccessLog([entry(randomBytes(32), { kind: 'emergency' })]);

      expect(await ledger.emergencyCount(patient)).toBe(2);
      expect(await ledger.emergencyCount(randomBytes(32))).toBe(0);
      const emergencies = await ledger.accessLog(patient, { limit: 10, emergencyOnly: true });
      expect(emergencies.map((e) => e.position)).toEqual([107, 1]);
      expect(Buffer.from(emergencies[1].sealedNote)).toEqual(Buffer.from(first.sealedNote));
      expect(emergencies.every((e) => e.kind === 'emergency')).toBe(true);
      const older = await ledger.accessLog(patient, { limit: 10, emergencyOnly: true, beforePosition: 107 });
      expect(older.map((e) => e.position)).toEqual([1]);
      expect(await ledger.accessLog(patient, { limit: 10, emergencyOnly: true, beforePosition: 1 })).toEqual([]);
      expect((await ledger.accessLog(patient, { limit: 1, emergencyOnly: true })).map((e) => e.position)).toEqual([
        107,
      ]);
    });

    describe('added record keys', () => {
      it('adds an envelope and reads it back; a record without any reads empty', async () => {
        const patient = randomBytes(32);
        const recordId = newRecordId();
        expect(await ledger.recordKeysOf(patient, recordId)).toEqual([]);
        const added = recordKey(patient, recordId);
        await ledger.addRecordKeys([added]);
        const stored = await ledger.recordKeysOf(patient, recordId);
        expect(hexes(stored)).toEqual(hexes([added.keyEnvelope]));
        expect(stored[0]).toBeInstanceOf(Uint8Array);
      });

      it('appends a second add after the first, oldest first', async () => {
        const patient = randomBytes(32);
        const recordId = newRecordId();
        const [a, b, c] = [recordKey(patient, recordId), recordKey(patient, recordId), recordKey(patient, recordId)];
        await ledger.addRecordKeys([a, b]);
        await ledger.addRecordKeys([c]);
        expect(hexes(await ledger.recordKeysOf(patient, recordId))).toEqual(hexes([a, b, c].map((e) => e.keyEnvelope)));
      });

      it("keeps one patient's records apart", async () => {
        const patient = randomBytes(32);
        const [first, second, never] = [newRecordId(), newRecordId(), newRecordId()];
        const a = recordKey(patient, first);
        const b = recordKey(patient, second);
        const c = recordKey(patient, first);
        await ledger.addRecordKeys([a, b, c]);
        expect(hexes(await ledger.recordKeysOf(patient, first))).toEqual(hexes([a.keyEnvelope, c.keyEnvelope]));
        expect(hexes(await ledger.recordKeysOf(patient, second))).toEqual(hexes([b.keyEnvelope]));
        expect(await ledger.recordKeysOf(patient, never)).toEqual([]);
      });

      it('keeps patients apart under the same record id', async () => {
        const [patient, other] = [randomBytes(32), randomBytes(32)];
        const recordId = newRecordId();
        const mine = recordKey(patient, recordId);
        const theirs = recordKey(other, recordId);
        await ledger.addRecordKeys([mine]);
        await ledger.addRecordKeys([theirs]);
        expect(hexes(await ledger.recordKeysOf(patient, recordId))).toEqual(hexes([mine.keyEnvelope]));
        expect(hexes(await ledger.recordKeysOf(other, recordId))).toEqual(hexes([theirs.keyEnvelope]));
        expect(await ledger.recordKeysOf(randomBytes(32), recordId)).toEqual([]);
      });

      it('takes envelopes of 1 and of MAX_KEY_ENVELOPE_BYTES bytes', async () => {
        const patient = randomBytes(32);
        const recordId = newRecordId();
        const smallest = recordKey(patient, recordId, randomBytes(1));
        const largest = recordKey(patient, recordId, randomBytes(MAX_KEY_ENVELOPE_BYTES));
        await ledger.addRecordKeys([smallest, largest]);
        expect(hexes(await ledger.recordKeysOf(patient, recordId))).toEqual(
          hexes([smallest.keyEnvelope, largest.keyEnvelope]),
        );
      });

      it('refuses an empty batch, an empty or oversized envelope and a short patient key, writing nothing', async () => {
        const patient = randomBytes(32);
        const recordId = newRecordId();
        const fine = recordKey(patient, recordId);
        await expect(ledger.addRecordKeys([])).rejects.toThrow(ValidationFailedError);
        await expect(ledger.addRecordKeys([fine, recordKey(patient, recordId, new Uint8Array(0))])).rejects.toThrow(
          ValidationFailedError,
        );
        await expect(
          ledger.addRecordKeys([fine, recordKey(patient, recordId, randomBytes(MAX_KEY_ENVELOPE_BYTES + 1))]),
        ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'keyEnvelope' });
        await expect(ledger.addRecordKeys([fine, recordKey(randomBytes(31), recordId)])).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'patientKey',
        });
        await expect(ledger.recordKeysOf(randomBytes(31), recordId)).rejects.toThrow(ValidationFailedError);
        expect(await ledger.recordKeysOf(patient, recordId)).toEqual([]);
      });

      it('gives a record at most MAX_RECORD_KEYS envelopes, in one batch or across adds', async () => {
        const patient = randomBytes(32);
        const [full, other] = [newRecordId(), newRecordId()];
        const small = () => recordKey(patient, full, randomBytes(2));
        const tooMany = Array.from({ length: MAX_RECORD_KEYS + 1 }, small);
        await expect(ledger.addRecordKeys(tooMany)).rejects.toThrow(ValidationFailedError);
        expect(await ledger.recordKeysOf(patient, full)).toEqual([]);

        const allowed = tooMany.slice(0, MAX_RECORD_KEYS);
        await ledger.addRecordKeys(allowed);
        const beside = recordKey(patient, other);
        await expect(ledger.addRecordKeys([beside, small()])).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'keyEnvelope',
        });
        expect(hexes(await ledger.recordKeysOf(patient, full))).toEqual(hexes(allowed.map((e) => e.keyEnvelope)));
        expect(await ledger.recordKeysOf(patient, other)).toEqual([]);
        await ledger.addRecordKeys([beside]);
        expect(hexes(await ledger.recordKeysOf(patient, other))).toEqual(hexes([beside.keyEnvelope]));
      });
    });
  });
}
