import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DATA_KEY_HPKE_INFO, HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { HpkePrimitives } from '../../src/infrastructure/crypto/hpke.primitives';
import { Operation } from './measure';

/** Section 1's contestants: seal and open of the same bytes by each implementation the table compares. */

const AES_256_GCM = 'aes-256-gcm';
export const AES256_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
/** A record's aad is the patient pseudonym (32) and the record id (32); the length is what matters here. */
export const AAD_BYTES = 64;

export interface SealOpen {
  readonly seal: Operation;
  /** Everything a reader does: unwrap the data key, then open the content. */
  readonly open: Operation;
}

export async function ourCipher(primitives: HpkePrimitives, plaintext: Uint8Array, aad: Uint8Array): Promise<SealOpen> {
  const cipher = new HpkeP256Cipher(primitives);
  const recipient = await cipher.generateKeyPair();
  const sealed = await cipher.seal([plaintext], [recipient.publicKey], aad);
  return {
    seal: () => cipher.seal([plaintext], [recipient.publicKey], aad),
    open: async () => cipher.open(await cipher.unwrap(sealed.keyEnvelope, recipient, aad), sealed.parts[0], 0, aad),
  };
}

export async function hpkeCore(plaintext: Uint8Array, aad: Uint8Array): Promise<SealOpen> {
  const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const recipient = await suite.kem.generateKeyPair();
  const sealed = await suite.seal(
    { recipientPublicKey: recipient.publicKey, info: DATA_KEY_HPKE_INFO },
    plaintext,
    aad,
  );
  return {
    seal: () => suite.seal({ recipientPublicKey: recipient.publicKey, info: DATA_KEY_HPKE_INFO }, plaintext, aad),
    open: () => suite.open({ recipientKey: recipient, enc: sealed.enc, info: DATA_KEY_HPKE_INFO }, sealed.ct, aad),
  };
}

export function rawAesGcm(plaintext: Uint8Array, aad: Uint8Array): SealOpen {
  const key = randomBytes(AES256_KEY_BYTES);
  const nonce = randomBytes(GCM_NONCE_BYTES);
  const encrypt = (): { body: Buffer; tag: Buffer } => {
    const cipher = createCipheriv(AES_256_GCM, key, nonce, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    cipher.final();
    return { body, tag: cipher.getAuthTag() };
  };
  const { body, tag } = encrypt();
  return {
    seal: encrypt,
    open: () => {
      const decipher = createDecipheriv(AES_256_GCM, key, nonce, { authTagLength: GCM_TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      decipher.final();
      return plain;
    },
  };
}
