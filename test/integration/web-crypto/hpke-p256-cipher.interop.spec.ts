import { bytesToHex, utf8 } from '../../../src/domain/bytes';
import { DecryptionFailedError } from '../../../src/domain/errors';
import { KeyPair } from '../../../src/domain/ports/cipher.port';
import {
  DATA_KEY_HPKE_INFO,
  DATA_KEY_HPKE_INFO_V1,
  HpkeP256Cipher,
} from '../../../src/infrastructure/crypto/hpke-p256.cipher';
import { HpkeP256Suite } from '../../../src/infrastructure/crypto/hpke-p256.suite';
import { HpkePrimitives } from '../../../src/infrastructure/crypto/hpke.primitives';
import { encodeKeyEnvelopeV1 } from '../../../src/infrastructure/crypto/key-envelope.codec';
import { NobleHpkePrimitives } from '../../../src/infrastructure/crypto/noble.primitives';
import { NodeCryptoHpkePrimitives } from '../../../src/infrastructure/crypto/node-crypto.primitives';
import { NodeRandomSource } from '../../../src/infrastructure/crypto/node-crypto.random';
import { SeededRandom } from '../../fakes/seeded-random';
import { loadWebCrypto, P256KeyPair, WebCryptoModule } from './web-crypto-module';

const BACKENDS: HpkePrimitives[] = [new NodeCryptoHpkePrimitives(), new NobleHpkePrimitives()];
const AAD = utf8('record:3f2a/version:1');
const PARTS = [utf8('{"kind":"lab-result"}'), new Uint8Array(70_000).map((_, i) => i % 251), new Uint8Array(0)];
/** Offset of the first slot's sealed data key in a v2 envelope: version (1) | count (1) | enc (65). */
const FIRST_SEALED_DATA_KEY = 2 + 65;

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] ^= 0x01;
  return copy;
}

describe.each(BACKENDS)('the web crypto module and HpkeP256Cipher on $name, byte for byte', (primitives) => {
  let web: WebCryptoModule;
  const cipher = new HpkeP256Cipher(primitives);
  /** A key pair as the service holds it (raw scalar) and the same key as the page would (CryptoKey). */
  let serviceHeld: KeyPair;
  let pageHeld: P256KeyPair;

  beforeAll(async () => {
    web = await loadWebCrypto();
    serviceHeld = await cipher.generateKeyPair();
    pageHeld = {
      privateKey: await web.importP256PrivateKey(serviceHeld.privateKey, serviceHeld.publicKey, 'ECDH'),
      publicKey: serviceHeld.publicKey,
    };
  });

  it('#13 HpkeP256Cipher seals; the module unwraps with a non-extractable key and opens every part', async () => {
    const other = await cipher.generateKeyPair();
    const sealed = await cipher.seal(PARTS, [other.publicKey, serviceHeld.publicKey], AAD);
    expect(pageHeld.privateKey.extractable).toBe(false);
    const dataKey = await web.unwrapDataKey(sealed.keyEnvelope, pageHeld, AAD);
    expect(bytesToHex(dataKey)).toBe(bytesToHex((await cipher.unwrap(sealed.keyEnvelope, serviceHeld, AAD)).bytes));
    for (const [index, part] of sealed.parts.entries()) {
      expect(bytesToHex(await web.openPart(dataKey, part, index, AAD))).toBe(bytesToHex(PARTS[index]));
    }
  });

  it('#13 the module seals; HpkeP256Cipher unwraps and opens, for a service-held and a page-made key', async () => {
    const pageMade = await web.generateP256KeyPair('ECDH', true);
    const pageMadeForService: KeyPair = {
      privateKey: await web.exportP256PrivateKey(pageMade.privateKey),
      publicKey: pageMade.publicKey,
    };
    const sealed = await web.sealRecord(PARTS, [pageMade.publicKey, serviceHeld.publicKey], AAD);
    for (const recipient of [pageMadeForService, serviceHeld]) {
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, recipient, AAD);
      for (const [index, part] of sealed.parts.entries()) {
        expect(bytesToHex(await cipher.open(dataKey, part, index, AAD))).toBe(bytesToHex(PARTS[index]));
      }
    }
  });

  it('#13 with the same data key and ephemeral keys both write the same envelope and parts', async () => {
    const other = await cipher.generateKeyPair();
    const recipients = [serviceHeld.publicKey, other.publicKey];
    const theirs = await new HpkeP256Cipher(primitives, new SeededRandom('web-crypto')).seal(PARTS, recipients, AAD);
    // Replay the cipher's draws: the data key first, then one ephemeral IKM per slot (RFC 9180 DeriveKeyPair).
    const replay = new SeededRandom('web-crypto');
    const dataKey = replay.bytes(32);
    const suite = new HpkeP256Suite(primitives, replay);
    const ephemerals: P256KeyPair[] = [];
    for (let slot = 0; slot < recipients.length; slot++) {
      const pair = suite.deriveKeyPair(replay.bytes(32));
      ephemerals.push({
        privateKey: await web.importP256PrivateKey(pair.privateKey, pair.publicKey, 'ECDH'),
        publicKey: pair.publicKey,
      });
    }
    const ours = await web.sealRecord(PARTS, recipients, AAD, { dataKey, ephemerals });
    expect(bytesToHex(ours.keyEnvelope)).toBe(bytesToHex(theirs.keyEnvelope));
    expect(ours.parts.map(bytesToHex)).toEqual(theirs.parts.map(bytesToHex));
  });

  it('#13 both write v2 (2 + 113n bytes) and describe each other’s envelopes alike', async () => {
    const other = await cipher.generateKeyPair();
    const byService = await cipher.seal(PARTS, [serviceHeld.publicKey, other.publicKey], AAD);
    const byPage = await web.sealRecord(PARTS, [serviceHeld.publicKey, other.publicKey], AAD);
    for (const envelope of [byService.keyEnvelope, byPage.keyEnvelope]) {
      expect(envelope).toHaveLength(2 + 2 * 113);
      expect(web.describeKeyEnvelope(envelope)).toEqual({ version: 2, slots: 2 });
      expect(cipher.describeEnvelope(envelope)).toEqual({ version: 2, slots: 2 });
    }
  });

  it('#13 a v1 envelope as the service wrote them before issue 13 still opens in the module', async () => {
    const suite = new HpkeP256Suite(primitives, new NodeRandomSource());
    const dataKey = new Uint8Array(32).fill(0x5a);
    const { enc, ciphertext } = suite.sealBase(serviceHeld.publicKey, DATA_KEY_HPKE_INFO_V1, AAD, dataKey);
    const v1 = encodeKeyEnvelopeV1([
      { keyId: await web.keyIdOf(serviceHeld.publicKey), enc, sealedDataKey: ciphertext },
    ]);
    expect(web.describeKeyEnvelope(v1)).toEqual({ version: 1, slots: 1 });
    expect(bytesToHex(await web.unwrapDataKey(v1, pageHeld, AAD))).toBe(bytesToHex(dataKey));
    expect(bytesToHex((await cipher.unwrap(v1, serviceHeld, AAD)).bytes)).toBe(bytesToHex(dataKey));
    expect(bytesToHex(web.DATA_KEY_HPKE_INFO_V1)).toBe(bytesToHex(DATA_KEY_HPKE_INFO_V1));
    expect(bytesToHex(web.DATA_KEY_HPKE_INFO)).toBe(bytesToHex(DATA_KEY_HPKE_INFO));
  });

  it('#13 re-wraps cross over: the service’s sealDataKey opens in unwrapFromEnvelopes, the module’s in tryUnwrap', async () => {
    const provider = await cipher.generateKeyPair();
    const record = await cipher.seal(PARTS, [provider.publicKey], AAD);
    const dataKey = await cipher.unwrap(record.keyEnvelope, provider, AAD);
    const rewrap = await cipher.sealDataKey(dataKey, [serviceHeld.publicKey], AAD);
    const openHeader = (candidate: Uint8Array) => web.openPart(candidate, record.parts[0], 0, AAD);
    await expect(web.unwrapDataKey(record.keyEnvelope, pageHeld, AAD)).rejects.toMatchObject({ code: 'NO_SLOT' });
    const found = await web.unwrapFromEnvelopes([record.keyEnvelope, rewrap], pageHeld, AAD, openHeader);
    expect(bytesToHex(found!)).toBe(bytesToHex(dataKey.bytes));

    const byPage = await web.sealDataKey(dataKey.bytes, [serviceHeld.publicKey], AAD);
    const tried = await cipher.tryUnwrap([Uint8Array.of(2, 0), record.keyEnvelope, byPage], serviceHeld, AAD);
    expect(bytesToHex(tried!.bytes)).toBe(bytesToHex(dataKey.bytes));
    await expect(cipher.tryUnwrap([record.keyEnvelope], serviceHeld, AAD)).resolves.toBeNull();
  });

  it('#13 a tampered envelope or part fails on either side with a clear error', async () => {
    const byService = await cipher.seal(PARTS, [serviceHeld.publicKey], AAD);
    // v2 trial decryption cannot tell a tampered slot from someone else's: no slot opens.
    await expect(
      web.unwrapDataKey(flipped(byService.keyEnvelope, FIRST_SEALED_DATA_KEY), pageHeld, AAD),
    ).rejects.toMatchObject({ code: 'NO_SLOT', message: 'The key envelope has no slot for this recipient.' });
    const dataKey = await web.unwrapDataKey(byService.keyEnvelope, pageHeld, AAD);
    await expect(web.openPart(dataKey, flipped(byService.parts[0], 0), 0, AAD)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });

    const byPage = await web.sealRecord(PARTS, [serviceHeld.publicKey], AAD);
    await expect(cipher.unwrap(flipped(byPage.keyEnvelope, FIRST_SEALED_DATA_KEY), serviceHeld, AAD)).rejects.toThrow(
      DecryptionFailedError,
    );
    const serviceKey = await cipher.unwrap(byPage.keyEnvelope, serviceHeld, AAD);
    await expect(cipher.open(serviceKey, flipped(byPage.parts[1], 5), 1, AAD)).rejects.toThrow(DecryptionFailedError);
  });
});
