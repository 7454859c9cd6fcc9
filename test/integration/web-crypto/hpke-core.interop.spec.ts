import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core';
import { bytesToHex, hexToBytes, utf8 } from '../../../src/domain/bytes';
import vectorFile from '../../vectors/rfc9180-dhkem-p256-hkdf-sha256-aes256gcm.json';
import { loadWebCrypto, P256KeyPair, WebCryptoModule } from './web-crypto-module';

/** The RFC 9180 base-mode vector supplies fixed keys: ikmR/ikmE for @hpke/core, skRm/skEm for the module. */
const vector = vectorFile[0];
const hex = hexToBytes;
const info = utf8('patient-centric-emr/interop');
const aad = utf8('record-aad');
const plaintext = utf8('a plaintext that crosses implementations');

describe('the web crypto module and @hpke/core at the HPKE layer', () => {
  const theirs = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  let web: WebCryptoModule;
  let recipient: P256KeyPair;
  let ephemeral: P256KeyPair;

  beforeAll(async () => {
    web = await loadWebCrypto();
    recipient = {
      privateKey: await web.importP256PrivateKey(hex(vector.skRm), hex(vector.pkRm), 'ECDH'),
      publicKey: hex(vector.pkRm),
    };
    ephemeral = {
      privateKey: await web.importP256PrivateKey(hex(vector.skEm), hex(vector.pkEm), 'ECDH'),
      publicKey: hex(vector.pkEm),
    };
  });

  it('#13 opens what @hpke/core sealed, with a non-extractable key', async () => {
    const sealed = await theirs.seal(
      { recipientPublicKey: await theirs.kem.deserializePublicKey(hex(vector.pkRm)), info },
      plaintext,
      aad,
    );
    const opened = await web.open(new Uint8Array(sealed.enc), recipient, info, aad, new Uint8Array(sealed.ct));
    expect(bytesToHex(opened)).toBe(bytesToHex(plaintext));
  });

  it('#13 seals what @hpke/core opens, and writes the same enc and ciphertext for the same ephemeral key', async () => {
    const recipientPair = await theirs.kem.deriveKeyPair(hex(vector.ikmR));
    const ours = await web.seal(hex(vector.pkRm), info, aad, plaintext, { ephemeral });
    const opened = await theirs.open({ recipientKey: recipientPair, enc: ours.enc, info }, ours.ciphertext, aad);
    expect(bytesToHex(new Uint8Array(opened))).toBe(bytesToHex(plaintext));

    const pinned = await theirs.seal(
      { recipientPublicKey: recipientPair.publicKey, info, ekm: hex(vector.ikmE) },
      plaintext,
      aad,
    );
    expect(bytesToHex(new Uint8Array(pinned.enc))).toBe(bytesToHex(ours.enc));
    expect(bytesToHex(new Uint8Array(pinned.ct))).toBe(bytesToHex(ours.ciphertext));
  });

  it('#13 the module refuses what @hpke/core sealed once it is tampered with, or under another info', async () => {
    const sealed = await theirs.seal(
      { recipientPublicKey: await theirs.kem.deserializePublicKey(hex(vector.pkRm)), info },
      plaintext,
      aad,
    );
    const ct = new Uint8Array(sealed.ct);
    ct[ct.length - 1] ^= 0x01;
    const enc = new Uint8Array(sealed.enc);
    await expect(web.open(enc, recipient, info, aad, ct)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(web.open(enc, recipient, utf8('other'), aad, new Uint8Array(sealed.ct))).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });
});
