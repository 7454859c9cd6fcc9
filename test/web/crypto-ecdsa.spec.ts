import {
  assertRecordSignature,
  bytesToHex,
  generateP256KeyPair,
  hexToBytes,
  signRecord,
  utf8,
  verifyRecordSignature,
} from '../../src/interfaces/web/public/crypto/index.js';

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function sOf(signature: Uint8Array): bigint {
  return BigInt('0x' + bytesToHex(signature.subarray(32)));
}

describe('the web crypto module’s record signatures (ECDSA P-256, r || s, low-S)', () => {
  it('#13 signs as 64-byte r || s with s <= n/2, and verifies its own signatures', async () => {
    const signer = await generateP256KeyPair('ECDSA');
    const message = utf8('record digest');
    // WebCrypto yields high-S about half the time, so 24 signatures all but surely include some.
    for (let i = 0; i < 24; i++) {
      const signature = await signRecord(signer.privateKey, message);
      expect(signature.length).toBe(64);
      expect(sOf(signature) <= P256_ORDER >> 1n).toBe(true);
      await expect(verifyRecordSignature(signer.publicKey, message, signature)).resolves.toBe(true);
    }
  });

  it('#13 refuses another message, another key, the high-S twin, and a malformed signature', async () => {
    const signer = await generateP256KeyPair('ECDSA');
    const other = await generateP256KeyPair('ECDSA');
    const message = utf8('record digest');
    const signature = await signRecord(signer.privateKey, message);
    const highS = signature.slice();
    highS.set(hexToBytes((P256_ORDER - sOf(signature)).toString(16).padStart(64, '0')), 32);
    await expect(verifyRecordSignature(signer.publicKey, utf8('record digesT'), signature)).resolves.toBe(false);
    await expect(verifyRecordSignature(other.publicKey, message, signature)).resolves.toBe(false);
    await expect(verifyRecordSignature(signer.publicKey, message, highS)).resolves.toBe(false);
    await expect(verifyRecordSignature(signer.publicKey, message, signature.subarray(0, 63))).resolves.toBe(false);
    await expect(assertRecordSignature(signer.publicKey, utf8('x'), signature)).rejects.toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });
});
