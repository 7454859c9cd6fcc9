import { p256 } from '@noble/curves/nist.js';
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  bytesToHex,
  CONSENT_ACTION,
  CONSENT_DOMAIN,
  consentMessage,
  decodeConsentMessage,
  generateP256KeyPair,
  grantDataHash,
  hexToBytes,
  replaceKeyDataHash,
  revokeDataHash,
  signConsent,
  signingKeyCoordinates,
  verifyConsentSignature,
} from '../../src/interfaces/web/public/crypto/index.js';

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const PATIENT_KEY = new Uint8Array(32).fill(0x11);
const PROVIDER_KEY = new Uint8Array(32).fill(0x22);
const DATA_HASH = new Uint8Array(32).fill(0x33);

type Fields = Parameters<typeof consentMessage>[0];

const GRANT: Fields = {
  chainId: 31337n,
  registry: REGISTRY,
  action: 1,
  patientKey: PATIENT_KEY,
  providerKey: PROVIDER_KEY,
  expiresAt: 1767225600n,
  nonce: 7n,
  dataHash: DATA_HASH,
};

function nodeSha256(...parts: (Uint8Array | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function lp(bytes: Uint8Array): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(bytes.length);
  return Buffer.concat([prefix, bytes]);
}

/** The signature as P256VERIFY's input takes it, r ‖ s. */
function rs(signature: { r: string; s: string }): Uint8Array {
  return hexToBytes(signature.r.slice(2) + signature.s.slice(2));
}

function nodePublicKey(publicKey: Uint8Array) {
  return createPublicKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(publicKey.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(publicKey.subarray(33, 65)).toString('base64url'),
    },
  });
}

/** What the contract checks: node:crypto ECDSA over sha256(message), r ‖ s, and s <= n/2. */
function nodeVerifies(publicKey: Uint8Array, message: Uint8Array, signature: { r: string; s: string }): boolean {
  return verify('sha256', message, { key: nodePublicKey(publicKey), dsaEncoding: 'ieee-p1363' }, rs(signature));
}

describe('the web crypto module’s consent message (PatientAccessRegistry v2)', () => {
  it('#14 CONSENT_DOMAIN is SHA-256("patient-centric-emr/PatientAccessRegistry/v2")', () => {
    expect(bytesToHex(CONSENT_DOMAIN)).toBe(nodeSha256('patient-centric-emr/PatientAccessRegistry/v2'));
  });

  it('#14 lays out a grant as nine 32-byte big-endian words in the contract’s order', () => {
    const expected = [
      '4ec5aac67d59340c67358cc29ff4df8952a3210e5c3e50c6ae72006c030c1cc7', // DOMAIN
      '0000000000000000000000000000000000000000000000000000000000007a69', // chainId 31337
      '0000000000000000000000005fbdb2315678afecb367f032d93f642f64180aa3', // registry, left-padded
      '0000000000000000000000000000000000000000000000000000000000000001', // action grant
      '1111111111111111111111111111111111111111111111111111111111111111', // patientKey
      '2222222222222222222222222222222222222222222222222222222222222222', // providerKey
      '000000000000000000000000000000000000000000000000000000006955b900', // expiresAt 1767225600
      '0000000000000000000000000000000000000000000000000000000000000007', // nonce 7
      '3333333333333333333333333333333333333333333333333333333333333333', // dataHash
    ];
    const message = consentMessage(GRANT);
    expect(message.length).toBe(288);
    for (const [index, word] of expected.entries()) {
      expect([index, bytesToHex(message.subarray(32 * index, 32 * (index + 1)))]).toEqual([index, word]);
    }
  });

  it('#14 right-aligns the widest values and writes zeros for a key replacement’s provider and expiry', () => {
    const message = consentMessage({
      chainId: (1n << 256n) - 2n,
      registry: '0x' + 'ab'.repeat(20),
      action: 3,
      patientKey: PATIENT_KEY,
      nonce: (1n << 64n) - 1n,
      dataHash: DATA_HASH,
    });
    const word = (index: number) => bytesToHex(message.subarray(32 * index, 32 * (index + 1)));
    expect(word(1)).toBe('ff'.repeat(31) + 'fe');
    expect(word(2)).toBe('00'.repeat(12) + 'ab'.repeat(20));
    expect(word(3)).toBe('00'.repeat(31) + '03');
    expect(word(5)).toBe('00'.repeat(32));
    expect(word(6)).toBe('00'.repeat(32));
    expect(word(7)).toBe('00'.repeat(24) + 'ff'.repeat(8));
  });

  it.each<[string, Record<string, unknown>]>([
    ['action 0', { action: 0 }],
    ['action 4', { action: 4 }],
    ['a revoke with an expiry', { action: 2, expiresAt: 1n }],
    ['a key replacement with an expiry', { action: 3, providerKey: null, expiresAt: 1n }],
    ['a key replacement naming a provider', { action: 3, expiresAt: 0n }],
    ['a grant naming no provider', { providerKey: null }],
    ['a nonce of 2^64', { nonce: 1n << 64n }],
    ['a negative nonce', { nonce: -1n }],
    ['an expiry of 2^64', { expiresAt: 1n << 64n }],
    ['a chain id of 2^256', { chainId: 1n << 256n }],
    ['a fractional chain id', { chainId: 1.5 }],
    ['a 19-byte registry', { registry: '0x' + 'ab'.repeat(19) }],
    ['a registry without 0x', { registry: 'ab'.repeat(20) }],
    ['a 31-byte patient key', { patientKey: new Uint8Array(31) }],
    ['a 33-byte provider key', { providerKey: new Uint8Array(33) }],
    ['a 31-byte data hash', { dataHash: new Uint8Array(31) }],
  ])('#14 refuses %s as MALFORMED', (_, change) => {
    expect(() => consentMessage({ ...GRANT, ...change } as Fields)).toThrow(
      expect.objectContaining({ code: 'MALFORMED' }),
    );
  });

  it('#14 decodes a message back to its fields, and refuses another domain or non-zero padding', () => {
    const message = consentMessage(GRANT);
    const decoded = decodeConsentMessage(message);
    expect(decoded).toMatchObject({ chainId: 31337n, action: 1, expiresAt: 1767225600n, nonce: 7n });
    expect(decoded.registry).toBe(REGISTRY.toLowerCase());
    expect(bytesToHex(decoded.providerKey)).toBe(bytesToHex(PROVIDER_KEY));
    expect(bytesToHex(consentMessage(decoded))).toBe(bytesToHex(message));
    for (const at of [0, 64, 96, 192, 224]) {
      const changed = message.slice();
      changed[at] ^= 0x01;
      expect(() => decodeConsentMessage(changed)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    }
    expect(() => decodeConsentMessage(message.subarray(0, 287))).toThrow(
      expect.objectContaining({ code: 'MALFORMED' }),
    );
  });
});

describe('the web crypto module’s consent signatures (what P256VERIFY checks)', () => {
  it('#14 signs the message as low-S r, s (0x-hex, 32 bytes) that node:crypto and a prehashed check both verify', async () => {
    const signer = await generateP256KeyPair('ECDSA');
    // WebCrypto yields high-S about half the time, so 16 signatures all but surely include some.
    for (let nonce = 0n; nonce < 16n; nonce++) {
      const signature = await signConsent(signer.privateKey, { ...GRANT, nonce });
      expect(bytesToHex(signature.message)).toBe(bytesToHex(consentMessage({ ...GRANT, nonce })));
      expect(signature.r).toMatch(/^0x[0-9a-f]{64}$/);
      expect(signature.s).toMatch(/^0x[0-9a-f]{64}$/);
      expect(BigInt(signature.s) <= P256_ORDER >> 1n).toBe(true);
      expect(nodeVerifies(signer.publicKey, signature.message, signature)).toBe(true);
      // P256VERIFY's own input: h = sha256(M), then r, s, x, y; noble checks h as given, low-S only.
      const h = hexToBytes(nodeSha256(signature.message));
      expect(p256.verify(rs(signature), h, signer.publicKey, { prehash: false, lowS: true })).toBe(true);
      await expect(
        verifyConsentSignature(signer.publicKey, { ...GRANT, nonce }, signature.r, signature.s),
      ).resolves.toBe(true);
    }
  });

  it.each<[string, Partial<Fields>]>([
    ['chain id', { chainId: 1n }],
    ['registry', { registry: '0x' + '00'.repeat(19) + '01' }],
    ['action', { action: 2, expiresAt: 0n }],
    ['patient key', { patientKey: new Uint8Array(32).fill(0x12) }],
    ['provider key', { providerKey: new Uint8Array(32).fill(0x23) }],
    ['expiry', { expiresAt: 0n }],
    ['nonce', { nonce: 8n }],
    ['data hash', { dataHash: new Uint8Array(32).fill(0x34) }],
  ])('#14 a signature does not verify once the %s changes', async (_, change) => {
    const signer = await generateP256KeyPair('ECDSA');
    const signature = await signConsent(signer.privateKey, GRANT);
    const changed = consentMessage({ ...GRANT, ...change });
    expect(nodeVerifies(signer.publicKey, changed, signature)).toBe(false);
    await expect(
      verifyConsentSignature(signer.publicKey, { ...GRANT, ...change }, signature.r, signature.s),
    ).resolves.toBe(false);
  });

  it('#14 verifies the message as an event carries it, and refuses another key, the high-S twin, r or s out of range', async () => {
    const signer = await generateP256KeyPair('ECDSA');
    const other = await generateP256KeyPair('ECDSA');
    const { message, r, s } = await signConsent(signer.privateKey, GRANT);
    const highS = '0x' + (P256_ORDER - BigInt(s)).toString(16).padStart(64, '0');
    const order = '0x' + P256_ORDER.toString(16);
    // The high-S twin is a valid ECDSA signature; only the low-S rule refuses it.
    expect(nodeVerifies(signer.publicKey, message, { r, s: highS })).toBe(true);
    await expect(verifyConsentSignature(signer.publicKey, message, r, s)).resolves.toBe(true);
    await expect(verifyConsentSignature(signer.publicKey, message, hexToBytes(r.slice(2)), s)).resolves.toBe(true);
    await expect(verifyConsentSignature(other.publicKey, message, r, s)).resolves.toBe(false);
    await expect(verifyConsentSignature(signer.publicKey, message, r, highS)).resolves.toBe(false);
    await expect(verifyConsentSignature(signer.publicKey, message, order, s)).resolves.toBe(false);
    await expect(verifyConsentSignature(signer.publicKey, message, '0x' + '00'.repeat(32), s)).resolves.toBe(false);
    await expect(verifyConsentSignature(signer.publicKey, message, r, '0x' + '00'.repeat(32))).resolves.toBe(false);
    await expect(verifyConsentSignature(signer.publicKey, message, r, s.slice(0, 64))).resolves.toBe(false);
    const tampered = message.slice();
    tampered[100] ^= 0x01;
    await expect(verifyConsentSignature(signer.publicKey, tampered, r, s)).resolves.toBe(false);
    await expect(verifyConsentSignature(signer.publicKey.subarray(0, 64), message, r, s)).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
  });
});

describe('the web crypto module’s consent data hashes', () => {
  const slot = new Uint8Array(115).map((_, i) => i);
  const otherSlot = new Uint8Array(115).fill(0xee);

  it('#14 grant: SHA-256(slot); 1..4096 bytes', async () => {
    expect(bytesToHex(await grantDataHash(slot))).toBe(nodeSha256(slot));
    await expect(grantDataHash(new Uint8Array(4096))).resolves.toHaveLength(32);
    expect(() => grantDataHash(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => grantDataHash(new Uint8Array(4097))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('#14 revoke: SHA-256(lp(new epoch key) | lp(slot_0) | lp(slot_1)), at least one slot, a P-256 key', async () => {
    const epoch = await generateP256KeyPair('ECDH');
    expect(bytesToHex(await revokeDataHash(epoch.publicKey, [slot, otherSlot]))).toBe(
      nodeSha256(lp(epoch.publicKey), lp(slot), lp(otherSlot)),
    );
    expect(bytesToHex(await revokeDataHash(epoch.publicKey, [otherSlot, slot]))).not.toBe(
      bytesToHex(await revokeDataHash(epoch.publicKey, [slot, otherSlot])),
    );
    await expect(revokeDataHash(epoch.publicKey, [])).rejects.toMatchObject({ code: 'MALFORMED' });
    await expect(revokeDataHash(epoch.publicKey, [slot, new Uint8Array(0)])).rejects.toMatchObject({
      code: 'MALFORMED',
    });
    await expect(revokeDataHash(epoch.publicKey.subarray(0, 64), [slot])).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
  });

  it('#14 replace key: SHA-256(newX | newY) of the coordinates the contract takes', async () => {
    const next = await generateP256KeyPair('ECDSA');
    const { x, y } = await signingKeyCoordinates(next.publicKey);
    expect(bytesToHex(x)).toBe(bytesToHex(next.publicKey.subarray(1, 33)));
    expect(bytesToHex(y)).toBe(bytesToHex(next.publicKey.subarray(33, 65)));
    expect(bytesToHex(await replaceKeyDataHash(x, y))).toBe(nodeSha256(next.publicKey.subarray(1)));
    expect(() => replaceKeyDataHash(x, y.subarray(1))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(CONSENT_ACTION).toEqual({ GRANT: 1, REVOKE: 2, REPLACE_KEY: 3 });
  });
});
