// @ts-check
/**
 * A record's content, byte-compatible with HpkeP256Cipher.seal/open: each part is
 * AES-256-GCM(dataKey, nonce = I2OSP(partIndex, 12), aad), ciphertext || 16-byte tag.
 *
 * The counter nonce is safe only because every record gets a fresh data key and uses each part
 * index once under it: never seal twice under one data key with the same index. The index in
 * the nonce also makes swapped parts fail to open.
 */
import { i2osp, randomBytes, WebCryptoError } from './bytes.js';
import { aes256GcmOpen, aes256GcmSeal, AES256_KEY_BYTES, GCM_NONCE_BYTES } from './hpke.js';
import { sealDataKey } from './key-envelope.js';

/** @param {number} partIndex */
function partNonce(partIndex) {
  if (!Number.isSafeInteger(partIndex) || partIndex < 0) {
    throw new WebCryptoError('MALFORMED', 'The part index is not a non-negative integer.');
  }
  return i2osp(partIndex, GCM_NONCE_BYTES);
}

/** A fresh 32-byte data key, one per record. */
export function generateDataKey() {
  return randomBytes(AES256_KEY_BYTES);
}

/**
 * Part `partIndex` of a record, sealed under its data key.
 * @param {Uint8Array | CryptoKey} dataKey
 * @param {Uint8Array} part
 * @param {number} partIndex
 * @param {Uint8Array} aad the record's aad
 */
export async function sealPart(dataKey, part, partIndex, aad) {
  return aes256GcmSeal(dataKey, partNonce(partIndex), aad, part);
}

/**
 * HpkeP256Cipher.open: DECRYPTION_FAILED for a wrong key, a tampered part or aad, or a part
 * opened under another index.
 * @param {Uint8Array | CryptoKey} dataKey
 * @param {Uint8Array} part
 * @param {number} partIndex
 * @param {Uint8Array} aad
 */
export async function openPart(dataKey, part, partIndex, aad) {
  return aes256GcmOpen(dataKey, partNonce(partIndex), aad, part);
}

/**
 * HpkeP256Cipher.seal: the parts under a fresh data key, and that key sealed to each recipient.
 * @param {readonly Uint8Array[]} parts
 * @param {readonly Uint8Array[]} recipientPublicKeys
 * @param {Uint8Array} aad
 * @param {{ dataKey?: Uint8Array, ephemerals?: readonly import('./hpke.js').P256KeyPair[] }} [options]
 *   pinned randomness (tests only)
 */
export async function sealRecord(parts, recipientPublicKeys, aad, options = {}) {
  const dataKey = options.dataKey ?? generateDataKey();
  // The envelope first: it validates every recipient before any content is encrypted.
  const keyEnvelope = await sealDataKey(dataKey, recipientPublicKeys, aad, options);
  const sealedParts = [];
  for (const [index, part] of parts.entries()) sealedParts.push(await sealPart(dataKey, part, index, aad));
  return { parts: sealedParts, keyEnvelope };
}
