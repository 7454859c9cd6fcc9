import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { bytesToHex, utf8 } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { P256_ORDER } from './crypto.constants';
import { EcdsaP256RecordSigner } from './ecdsa-p256.signer';
import { bigintToBytes, os2ip } from './integer-encoding';

const MESSAGE = utf8('record 3f2a, version 1, digest 9c1e...');
const HALF_ORDER = P256_ORDER >> 1n;

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] ^= 0x01;
  return copy;
}

/** The same signature with s replaced by n - s: valid ECDSA, but the high-S twin. */
function highSTwin(signature: Uint8Array): Uint8Array {
  const twin = signature.slice();
  twin.set(bigintToBytes(P256_ORDER - os2ip(signature.subarray(32)), 32), 32);
  return twin;
}

describe('EcdsaP256RecordSigner', () => {
  const keyPair = EcdsaP256RecordSigner.generateSigningKeyPair();
  const signer = new EcdsaP256RecordSigner(keyPair);

  it('generates a 32-byte private key and a 65-byte uncompressed public key', () => {
    expect(keyPair.privateKey).toHaveLength(32);
    expect(keyPair.publicKey).toHaveLength(65);
    expect(keyPair.publicKey[0]).toBe(0x04);
  });

  it('keyId is SHA-256 of the SEC 1 public key', () => {
    expect(bytesToHex(signer.keyId())).toBe(createHash('sha256').update(keyPair.publicKey).digest('hex'));
  });

  it('signs 64 bytes that verify under its own key id', async () => {
    const signature = await signer.sign(MESSAGE);
    expect(signature).toHaveLength(64);
    await expect(signer.verify(MESSAGE, signature, signer.keyId())).resolves.toBe(true);
  });

  it('rejects a flipped message byte and flipped signature bytes (r and s)', async () => {
    const signature = await signer.sign(MESSAGE);
    await expect(signer.verify(flipByte(MESSAGE, 0), signature, signer.keyId())).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, flipByte(signature, 0), signer.keyId())).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, flipByte(signature, 63), signer.keyId())).resolves.toBe(false);
  });

  it('returns false, never throws, for unknown key ids and bad lengths', async () => {
    const signature = await signer.sign(MESSAGE);
    await expect(signer.verify(MESSAGE, signature, flipByte(signer.keyId(), 0))).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, signature, signer.keyId().subarray(1))).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, signature.subarray(0, 63), signer.keyId())).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, new Uint8Array(64), signer.keyId())).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, new Uint8Array(64).fill(0xff), signer.keyId())).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, 'sig' as unknown as Uint8Array, signer.keyId())).resolves.toBe(false);
  });

  it('always emits low-S, and refuses the high-S twin that plain ECDSA would accept', async () => {
    const publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(keyPair.publicKey.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(keyPair.publicKey.subarray(33)).toString('base64url'),
      },
      format: 'jwk',
    });
    // OpenSSL emits high-S about half the time, so 32 signatures exercise the normalisation.
    for (let i = 0; i < 32; i++) {
      const message = utf8(`message ${i}`);
      const signature = await signer.sign(message);
      expect(os2ip(signature.subarray(32)) <= HALF_ORDER).toBe(true);
      const twin = highSTwin(signature);
      expect(nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, twin)).toBe(true);
      await expect(signer.verify(message, twin, signer.keyId())).resolves.toBe(false);
    }
  });

  it('interoperates with noble: noble verifies ours, we verify noble low-S signatures', async () => {
    const signature = await signer.sign(MESSAGE);
    expect(p256.verify(signature, MESSAGE, keyPair.publicKey, { prehash: true, lowS: true })).toBe(true);
    const nobleSignature = p256.sign(MESSAGE, keyPair.privateKey, { prehash: true, lowS: true });
    await expect(signer.verify(MESSAGE, nobleSignature, signer.keyId())).resolves.toBe(true);
  });

  it('verifies signatures from extra trusted keys, and only under their own key id', async () => {
    const peerKeys = EcdsaP256RecordSigner.generateSigningKeyPair();
    const peer = new EcdsaP256RecordSigner(peerKeys);
    const verifier = new EcdsaP256RecordSigner(keyPair, [peerKeys.publicKey]);
    const signature = await peer.sign(MESSAGE);
    await expect(verifier.verify(MESSAGE, signature, peer.keyId())).resolves.toBe(true);
    await expect(verifier.verify(MESSAGE, signature, verifier.keyId())).resolves.toBe(false);
    await expect(signer.verify(MESSAGE, signature, peer.keyId())).resolves.toBe(false);
  });

  describe("#13 verifyWithPublicKey (a patient's registered signing key, not a trusted one)", () => {
    const patientKeys = EcdsaP256RecordSigner.generateSigningKeyPair();
    const patient = new EcdsaP256RecordSigner(patientKeys);

    it('verifies a signature under the given key, though the verifier does not trust that key', async () => {
      const signature = await patient.sign(MESSAGE);
      await expect(signer.verify(MESSAGE, signature, patient.keyId())).resolves.toBe(false);
      await expect(signer.verifyWithPublicKey(MESSAGE, signature, patientKeys.publicKey)).resolves.toBe(true);
    });

    it('is false under another key, for a changed message, and for the high-S twin', async () => {
      const signature = await patient.sign(MESSAGE);
      await expect(signer.verifyWithPublicKey(MESSAGE, signature, keyPair.publicKey)).resolves.toBe(false);
      await expect(signer.verifyWithPublicKey(flipByte(MESSAGE, 3), signature, patientKeys.publicKey)).resolves.toBe(
        false,
      );
      await expect(signer.verifyWithPublicKey(MESSAGE, highSTwin(signature), patientKeys.publicKey)).resolves.toBe(
        false,
      );
    });

    it('is false, never throws, for invalid keys and malformed signatures', async () => {
      const signature = await patient.sign(MESSAGE);
      const badKeys = [
        flipByte(patientKeys.publicKey, 64),
        patientKeys.publicKey.subarray(0, 64),
        patientKeys.publicKey.subarray(0, 33),
        new Uint8Array(65),
        'key' as unknown as Uint8Array,
      ];
      for (const publicKey of badKeys) {
        await expect(signer.verifyWithPublicKey(MESSAGE, signature, publicKey)).resolves.toBe(false);
      }
      for (const bad of [signature.subarray(0, 63), new Uint8Array(64), 'sig' as unknown as Uint8Array]) {
        await expect(signer.verifyWithPublicKey(MESSAGE, bad, patientKeys.publicKey)).resolves.toBe(false);
      }
    });
  });

  it('#13 trustedPublicKey answers its own and configured keys by id, null for any other id', () => {
    const peerKeys = EcdsaP256RecordSigner.generateSigningKeyPair();
    const peer = new EcdsaP256RecordSigner(peerKeys);
    const verifier = new EcdsaP256RecordSigner(keyPair, [peerKeys.publicKey]);
    expect(bytesToHex(verifier.trustedPublicKey(verifier.keyId())!)).toBe(bytesToHex(keyPair.publicKey));
    expect(bytesToHex(verifier.trustedPublicKey(peer.keyId())!)).toBe(bytesToHex(peerKeys.publicKey));
    expect(signer.trustedPublicKey(peer.keyId())).toBeNull();
    expect(verifier.trustedPublicKey(flipByte(peer.keyId(), 0))).toBeNull();
    expect(verifier.trustedPublicKey(peer.keyId().subarray(1))).toBeNull();
    // A copy: changing it does not change what the signer trusts.
    verifier.trustedPublicKey(peer.keyId())!.fill(0);
    expect(bytesToHex(verifier.trustedPublicKey(peer.keyId())!)).toBe(bytesToHex(peerKeys.publicKey));
  });

  it('refuses a key pair whose halves do not match, and off-curve trusted keys', () => {
    const other = EcdsaP256RecordSigner.generateSigningKeyPair();
    expect(() => new EcdsaP256RecordSigner({ privateKey: keyPair.privateKey, publicKey: other.publicKey })).toThrow(
      InvalidKeyError,
    );
    expect(() => new EcdsaP256RecordSigner({ ...keyPair, privateKey: new Uint8Array(32) })).toThrow(InvalidKeyError);
    expect(() => new EcdsaP256RecordSigner(keyPair, [flipByte(other.publicKey, 64)])).toThrow(InvalidKeyError);
  });
});
