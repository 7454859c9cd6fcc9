import { bytesToHex, utf8 } from '../../../src/domain/bytes';
import { EcdsaP256RecordSigner } from '../../../src/infrastructure/crypto/ecdsa-p256.signer';
import { loadWebCrypto, WebCryptoModule } from './web-crypto-module';

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const message = utf8('record header digest');

/** (r, n - s): verifies under plain ECDSA, refused by both sides as a second encoding. */
function highSTwin(signature: Uint8Array): Uint8Array {
  const s = BigInt('0x' + bytesToHex(signature.subarray(32)));
  const twin = signature.slice();
  const highS = (P256_ORDER - s).toString(16).padStart(64, '0');
  for (let i = 0; i < 32; i++) twin[32 + i] = parseInt(highS.slice(2 * i, 2 * i + 2), 16);
  return twin;
}

describe('the web crypto module and EcdsaP256RecordSigner', () => {
  let web: WebCryptoModule;

  beforeAll(async () => {
    web = await loadWebCrypto();
  });

  it('#13 a signature by EcdsaP256RecordSigner verifies in the module; altered, it does not', async () => {
    const keys = EcdsaP256RecordSigner.generateSigningKeyPair();
    const signer = new EcdsaP256RecordSigner(keys);
    const signature = await signer.sign(message);
    expect(signature.length).toBe(64);
    expect(bytesToHex(await web.keyIdOf(keys.publicKey))).toBe(bytesToHex(signer.keyId()));
    await expect(web.verifyRecordSignature(keys.publicKey, message, signature)).resolves.toBe(true);
    await expect(web.verifyRecordSignature(keys.publicKey, utf8('another digest'), signature)).resolves.toBe(false);
    await expect(web.verifyRecordSignature(keys.publicKey, message, highSTwin(signature))).resolves.toBe(false);
  });

  it('#13 a signature by the module (non-extractable key) verifies in EcdsaP256RecordSigner; altered, it does not', async () => {
    const page = await web.generateP256KeyPair('ECDSA');
    expect(page.privateKey.extractable).toBe(false);
    // The service trusts the page's published public key, as it will trust a patient's.
    const service = new EcdsaP256RecordSigner(EcdsaP256RecordSigner.generateSigningKeyPair(), [page.publicKey]);
    const keyId = await web.keyIdOf(page.publicKey);
    for (let i = 0; i < 8; i++) {
      const signature = await web.signRecord(page.privateKey, message);
      await expect(service.verify(message, signature, keyId)).resolves.toBe(true);
      await expect(service.verify(utf8('another digest'), signature, keyId)).resolves.toBe(false);
      // The module always writes low-S, so the service never sees the twin as valid.
      await expect(service.verify(message, highSTwin(signature), keyId)).resolves.toBe(false);
    }
  });
});
