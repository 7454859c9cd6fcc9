import {
  bytesToHex,
  createPatientKeys,
  generateP256KeyPair,
  generateRecoveryCode,
  normaliseRecoveryCode,
  openKeyStore,
  registrationPayload,
  registrationProof,
  sealDataKey,
  generateDataKey,
  unwrapDataKey,
  unwrapKeyBackup,
  utf8,
  verifyRecordSignature,
  wrapKeyBackup,
} from '../../src/interfaces/web/public/crypto/index.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPED = /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){6}$/;
/** version (1) | salt (16) | nonce (12) | two scalars (64) | tag (16). */
const BACKUP_BYTES = 109;
const aad = utf8('record-aad');

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] ^= 0x01;
  return copy;
}

async function extractablePairs() {
  return {
    encryption: await generateP256KeyPair('ECDH', true),
    signing: await generateP256KeyPair('ECDSA', true),
  };
}

describe('the recovery code', () => {
  it('#13 is 28 Crockford base32 characters in 7 groups of 4, 140 bits: every character drawn, none repeated across codes', () => {
    const codes = Array.from({ length: 200 }, () => generateRecoveryCode());
    for (const code of codes) {
      expect(code).toMatch(GROUPED);
      expect(code.replace(/-/g, '')).toHaveLength(28);
    }
    expect(new Set(codes).size).toBe(codes.length);
    // 200 × 28 = 5600 draws of 32 equally likely characters: each appears (and no other character does).
    const seen = new Set(codes.join('').replace(/-/g, ''));
    expect([...seen].sort().join('')).toBe(ALPHABET);
    // 28 characters × 5 bits each.
    expect(28 * Math.log2(ALPHABET.length)).toBe(140);
  });

  it('#13 normalises what a person types: case, spaces, dashes, O→0, I→1, L→1', () => {
    expect(normaliseRecoveryCode('abcd-efgh-jkmn-pqrs-tvwx-yz01-2345')).toBe('ABCDEFGHJKMNPQRSTVWXYZ012345');
    expect(normaliseRecoveryCode(' oOiI lL00 1111 2222 3333 4444 5555 ')).toBe('0011110011112222333344445555');
    const code = generateRecoveryCode();
    expect(normaliseRecoveryCode(code.toLowerCase().replace(/-/g, ' '))).toBe(code.replace(/-/g, ''));
  });

  it('#13 refuses anything that is not 28 alphabet characters once normalised (MALFORMED)', () => {
    const code = generateRecoveryCode().replace(/-/g, '');
    for (const text of [code.slice(1), `${code}0`, `${code.slice(1)}U`, `${code.slice(1)}!`, '', 'u'.repeat(28)]) {
      expect(() => normaliseRecoveryCode(text)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    }
    expect(() => normaliseRecoveryCode(undefined as unknown as string)).toThrow(
      expect.objectContaining({ name: 'WebCryptoError', code: 'MALFORMED' }),
    );
  });
});

describe('the key backup', () => {
  it('#13 round trip: 109 bytes, version 1; opens with the code as typed, into non-extractable keys that work', async () => {
    const pairs = await extractablePairs();
    const recoveryCode = generateRecoveryCode();
    const backup = await wrapKeyBackup({ recoveryCode, ...pairs });
    expect(backup).toHaveLength(BACKUP_BYTES);
    expect(backup[0]).toBe(0x01);
    const restored = await unwrapKeyBackup({
      recoveryCode: recoveryCode.toLowerCase(),
      backup,
      encryptionPublicKey: pairs.encryption.publicKey,
      signingPublicKey: pairs.signing.publicKey,
    });
    expect(restored.encryption.privateKey.extractable).toBe(false);
    expect(restored.signing.privateKey.extractable).toBe(false);
    expect(restored.encryption.privateKey.usages).toEqual(['deriveBits']);
    expect(restored.signing.privateKey.usages).toEqual(['sign']);
    // The restored keys are the originals: they open what was sealed to the public key, and sign for it.
    const dataKey = generateDataKey();
    const envelope = await sealDataKey(dataKey, [pairs.encryption.publicKey], aad);
    expect(bytesToHex(await unwrapDataKey(envelope, restored.encryption, aad))).toBe(bytesToHex(dataKey));
    const proof = await registrationProof(
      restored.signing.privateKey,
      'p-1',
      pairs.encryption.publicKey,
      pairs.signing.publicKey,
    );
    await expect(
      verifyRecordSignature(
        pairs.signing.publicKey,
        registrationPayload('p-1', pairs.encryption.publicKey, pairs.signing.publicKey),
        proof,
      ),
    ).resolves.toBe(true);
  });

  it('#13 a wrong code, a tampered byte anywhere, or other public keys fail with DECRYPTION_FAILED', async () => {
    const pairs = await extractablePairs();
    const recoveryCode = generateRecoveryCode();
    const backup = await wrapKeyBackup({ recoveryCode, ...pairs });
    const base = {
      recoveryCode,
      backup,
      encryptionPublicKey: pairs.encryption.publicKey,
      signingPublicKey: pairs.signing.publicKey,
    };
    await expect(unwrapKeyBackup({ ...base, recoveryCode: generateRecoveryCode() })).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    // Salt, nonce, sealed scalars, tag.
    for (const at of [1, 17, 29, 29 + 63, BACKUP_BYTES - 1]) {
      await expect(unwrapKeyBackup({ ...base, backup: flipped(backup, at) })).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
    }
    const other = await extractablePairs();
    await expect(unwrapKeyBackup({ ...base, signingPublicKey: other.signing.publicKey })).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    await expect(unwrapKeyBackup({ ...base, encryptionPublicKey: other.encryption.publicKey })).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('#13 refuses a backup of another version or length, and a text that is not a recovery code (MALFORMED)', async () => {
    const pairs = await extractablePairs();
    const recoveryCode = generateRecoveryCode();
    const backup = await wrapKeyBackup({ recoveryCode, ...pairs });
    const base = {
      recoveryCode,
      encryptionPublicKey: pairs.encryption.publicKey,
      signingPublicKey: pairs.signing.publicKey,
    };
    const otherVersion = backup.slice();
    otherVersion[0] = 0x02;
    for (const bad of [otherVersion, backup.subarray(0, BACKUP_BYTES - 1), new Uint8Array(0)]) {
      await expect(unwrapKeyBackup({ ...base, backup: bad })).rejects.toMatchObject({ code: 'MALFORMED' });
    }
    await expect(unwrapKeyBackup({ ...base, backup, recoveryCode: 'not a code' })).rejects.toMatchObject({
      code: 'MALFORMED',
    });
  });

  it('#13 fresh salt and nonce each time: two backups of the same keys under the same code differ', async () => {
    const pairs = await extractablePairs();
    const recoveryCode = generateRecoveryCode();
    const one = await wrapKeyBackup({ recoveryCode, ...pairs });
    const two = await wrapKeyBackup({ recoveryCode, ...pairs });
    expect(bytesToHex(one.subarray(1, 29))).not.toBe(bytesToHex(two.subarray(1, 29)));
  });

  it('#13 needs extractable keys to make a backup: a non-extractable pair cannot be exported', async () => {
    const pairs = {
      encryption: await generateP256KeyPair('ECDH'),
      signing: await generateP256KeyPair('ECDSA'),
    };
    await expect(wrapKeyBackup({ recoveryCode: generateRecoveryCode(), ...pairs })).rejects.toThrow();
  });
});

describe('createPatientKeys and the registration proof', () => {
  it('#13 gives non-extractable keys, a backup that opens with the code shown, and a proof the signing key made', async () => {
    const { keys, backup, recoveryCode } = await createPatientKeys();
    expect(recoveryCode).toMatch(GROUPED);
    expect(keys.encryption.privateKey.extractable).toBe(false);
    expect(keys.signing.privateKey.extractable).toBe(false);
    expect(keys.encryption.publicKey).toHaveLength(65);
    expect(keys.signing.publicKey).toHaveLength(65);
    expect(backup).toHaveLength(BACKUP_BYTES);
    const restored = await unwrapKeyBackup({
      recoveryCode,
      backup,
      encryptionPublicKey: keys.encryption.publicKey,
      signingPublicKey: keys.signing.publicKey,
    });
    const dataKey = generateDataKey();
    const envelope = await sealDataKey(dataKey, [keys.encryption.publicKey], aad);
    expect(bytesToHex(await unwrapDataKey(envelope, restored.encryption, aad))).toBe(bytesToHex(dataKey));

    const proof = await registrationProof(
      keys.signing.privateKey,
      'patient-7',
      keys.encryption.publicKey,
      keys.signing.publicKey,
    );
    expect(proof).toHaveLength(64);
    const payload = registrationPayload('patient-7', keys.encryption.publicKey, keys.signing.publicKey);
    await expect(verifyRecordSignature(keys.signing.publicKey, payload, proof)).resolves.toBe(true);
    // Bound to the patient and to both keys.
    const other = await createPatientKeys();
    for (const [id, enc, sig] of [
      ['patient-8', keys.encryption.publicKey, keys.signing.publicKey],
      ['patient-7', other.keys.encryption.publicKey, keys.signing.publicKey],
      ['patient-7', keys.encryption.publicKey, other.keys.signing.publicKey],
    ] as const) {
      await expect(
        verifyRecordSignature(keys.signing.publicKey, registrationPayload(id, enc, sig), proof),
      ).resolves.toBe(false);
    }
  });

  it('#13 the registration payload is lp(domain) | lp(patientId) | lp(encryption key) | lp(signing key)', () => {
    const enc = new Uint8Array(65).fill(4);
    const sig = new Uint8Array(65).fill(5);
    const domain = 'patient-centric-emr/register-keys/v1';
    const lp = (bytes: Uint8Array) => [0, 0, 0, bytes.length, ...bytes];
    expect(Array.from(registrationPayload('p-1', enc, sig))).toEqual([
      ...lp(utf8(domain)),
      ...lp(utf8('p-1')),
      ...lp(enc),
      ...lp(sig),
    ]);
  });
});

describe('openKeyStore without IndexedDB (Node)', () => {
  it('#13 keeps records in memory by patient id: put, get, delete; a fresh store per call', async () => {
    expect(typeof (globalThis as { indexedDB?: unknown }).indexedDB).toBe('undefined');
    const { keys } = await createPatientKeys();
    const store = await openKeyStore();
    await expect(store.get('p-1')).resolves.toBeNull();
    await store.put({ patientId: 'p-1', ...keys, storedAt: '2025-01-01T00:00:00.000Z' });
    const stored = await store.get('p-1');
    expect(stored?.encryption.privateKey).toBe(keys.encryption.privateKey);
    expect(stored?.storedAt).toBe('2025-01-01T00:00:00.000Z');
    await expect(store.get('p-2')).resolves.toBeNull();
    await expect((await openKeyStore()).get('p-1')).resolves.toBeNull();
    await store.delete('p-1');
    await expect(store.get('p-1')).resolves.toBeNull();
  });
});
