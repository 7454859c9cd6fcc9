// @ts-check
/**
 * The service's key envelope, version 1: the record's data key sealed to each recipient with
 * single-shot HPKE. Byte-compatible with HpkeP256Cipher.seal/unwrap and
 * src/infrastructure/crypto/key-envelope.codec.ts.
 *
 * Wire format, version 1 (offsets in bytes):
 *
 *   0     1   version            0x01
 *   1     1   slot count n       1..255
 *   2   145n  n slots, each:
 *         +0    32  key id           SHA-256(recipient's 65-byte SEC 1 public key)
 *         +32   65  enc              HPKE ephemeral public key, SEC 1 uncompressed
 *         +97   48  sealed data key  AES-256-GCM(32-byte data key) || 16-byte tag
 *
 * Total length is exactly 2 + 145n. Each slot is HPKE SealBase(pkR, info = DATA_KEY_HPKE_INFO,
 * aad = the record's aad, data key).
 */
import { buf, bytesEqual, subtle, utf8, WebCryptoError } from './bytes.js';
import { AES256_KEY_BYTES, GCM_TAG_BYTES, open, seal } from './hpke.js';
import { importP256PublicKey, P256_PUBLIC_KEY_BYTES } from './p256.js';

/** HPKE info of every slot: binds it to this use and format version (as the service does). */
export const DATA_KEY_HPKE_INFO = utf8('patient-centric-emr/v1/data-key');
export const KEY_ENVELOPE_VERSION = 0x01;
const KEY_ENVELOPE_HEADER_BYTES = 2;
export const KEY_ID_BYTES = 32;
const ENC_BYTES = P256_PUBLIC_KEY_BYTES;
const SEALED_DATA_KEY_BYTES = AES256_KEY_BYTES + GCM_TAG_BYTES;
export const KEY_ENVELOPE_SLOT_BYTES = KEY_ID_BYTES + ENC_BYTES + SEALED_DATA_KEY_BYTES;
/** The slot count is one octet. */
export const MAX_KEY_ENVELOPE_SLOTS = 0xff;

/**
 * @typedef {{ keyId: Uint8Array, enc: Uint8Array, sealedDataKey: Uint8Array }} KeyEnvelopeSlot
 * @typedef {import('./hpke.js').P256KeyPair} P256KeyPair
 */

/**
 * A slot's key id: SHA-256 of the 65-byte public key (the id the service's signer uses too).
 * @param {Uint8Array} publicKey
 */
export async function keyIdOf(publicKey) {
  return new Uint8Array(await subtle.digest('SHA-256', buf(publicKey)));
}

/**
 * Layout: see the top of this file. MALFORMED for anything that does not follow it exactly.
 * @param {Uint8Array} envelope
 * @returns {KeyEnvelopeSlot[]} copies, safe to keep
 */
export function decodeKeyEnvelope(envelope) {
  if (!ArrayBuffer.isView(envelope) || envelope.length < KEY_ENVELOPE_HEADER_BYTES) {
    throw new WebCryptoError('MALFORMED', 'The key envelope is malformed.');
  }
  if (envelope[0] !== KEY_ENVELOPE_VERSION) {
    throw new WebCryptoError('MALFORMED', 'The key envelope has an unsupported version.');
  }
  const count = envelope[1];
  if (count < 1 || envelope.length !== KEY_ENVELOPE_HEADER_BYTES + count * KEY_ENVELOPE_SLOT_BYTES) {
    throw new WebCryptoError('MALFORMED', 'The key envelope is malformed.');
  }
  const slots = [];
  for (let i = 0; i < count; i++) {
    const start = KEY_ENVELOPE_HEADER_BYTES + i * KEY_ENVELOPE_SLOT_BYTES;
    const encStart = start + KEY_ID_BYTES;
    const sealedStart = encStart + ENC_BYTES;
    slots.push({
      keyId: envelope.slice(start, encStart),
      enc: envelope.slice(encStart, sealedStart),
      sealedDataKey: envelope.slice(sealedStart, sealedStart + SEALED_DATA_KEY_BYTES),
    });
  }
  return slots;
}

/**
 * Layout: see the top of this file.
 * @param {readonly KeyEnvelopeSlot[]} slots
 */
export function encodeKeyEnvelope(slots) {
  if (slots.length < 1 || slots.length > MAX_KEY_ENVELOPE_SLOTS) {
    throw new WebCryptoError('MALFORMED', `A key envelope holds 1..${MAX_KEY_ENVELOPE_SLOTS} slots.`);
  }
  const envelope = new Uint8Array(KEY_ENVELOPE_HEADER_BYTES + slots.length * KEY_ENVELOPE_SLOT_BYTES);
  envelope[0] = KEY_ENVELOPE_VERSION;
  envelope[1] = slots.length;
  slots.forEach((slot, index) => {
    if (
      slot.keyId.length !== KEY_ID_BYTES ||
      slot.enc.length !== ENC_BYTES ||
      slot.sealedDataKey.length !== SEALED_DATA_KEY_BYTES
    ) {
      throw new WebCryptoError('MALFORMED', 'A key envelope slot field has the wrong length.');
    }
    const start = KEY_ENVELOPE_HEADER_BYTES + index * KEY_ENVELOPE_SLOT_BYTES;
    envelope.set(slot.keyId, start);
    envelope.set(slot.enc, start + KEY_ID_BYTES);
    envelope.set(slot.sealedDataKey, start + KEY_ID_BYTES + ENC_BYTES);
  });
  return envelope;
}

/**
 * The slot for this public key, or null; MALFORMED as decodeKeyEnvelope.
 * @param {Uint8Array} envelope
 * @param {Uint8Array} publicKey 65-byte SEC 1 point
 */
export async function findKeyEnvelopeSlot(envelope, publicKey) {
  const keyId = await keyIdOf(publicKey);
  return decodeKeyEnvelope(envelope).find((slot) => bytesEqual(slot.keyId, keyId)) ?? null;
}

/**
 * The 32-byte data key, as HpkeP256Cipher.unwrap gives it. NO_SLOT when the envelope is not
 * sealed to this key pair; DECRYPTION_FAILED when the slot (or the aad) was tampered with or the
 * private key is not the public key's.
 * @param {Uint8Array} envelope
 * @param {P256KeyPair} recipient the private key may be a non-extractable CryptoKey
 * @param {Uint8Array} aad the record's aad
 */
export async function unwrapDataKey(envelope, recipient, aad) {
  await importP256PublicKey(recipient.publicKey, 'ECDH');
  const slot = await findKeyEnvelopeSlot(envelope, recipient.publicKey);
  if (slot === null) throw new WebCryptoError('NO_SLOT', 'The key envelope has no slot for this recipient.');
  let dataKey;
  try {
    dataKey = await open(slot.enc, recipient, DATA_KEY_HPKE_INFO, aad, slot.sealedDataKey);
  } catch (error) {
    // The recipient's key was checked above, so a bad key here is a bad enc: a tampered slot.
    if (error instanceof WebCryptoError) {
      throw new WebCryptoError('DECRYPTION_FAILED', 'The data key could not be unwrapped.');
    }
    throw error;
  }
  if (dataKey.length !== AES256_KEY_BYTES) {
    throw new WebCryptoError('DECRYPTION_FAILED', 'The data key could not be unwrapped.');
  }
  return dataKey;
}

/**
 * A v1 envelope sealing `dataKey` to each distinct public key, in first-seen order (repeats
 * dropped, as HpkeP256Cipher does). Every key is validated before anything is sealed.
 * @param {Uint8Array} dataKey 32 bytes
 * @param {readonly Uint8Array[]} recipientPublicKeys
 * @param {Uint8Array} aad the record's aad
 * @param {{ ephemerals?: readonly P256KeyPair[] }} [options] pinned ephemeral keys, one per slot (tests only)
 */
export async function sealDataKey(dataKey, recipientPublicKeys, aad, options = {}) {
  if (!ArrayBuffer.isView(dataKey) || dataKey.length !== AES256_KEY_BYTES) {
    throw new WebCryptoError('INVALID_KEY', `A data key must be ${AES256_KEY_BYTES} bytes.`);
  }
  /** @type {{ publicKey: Uint8Array, keyId: Uint8Array }[]} */
  const distinct = [];
  for (const publicKey of recipientPublicKeys) {
    await importP256PublicKey(publicKey, 'ECDH');
    const keyId = await keyIdOf(publicKey);
    if (!distinct.some((seen) => bytesEqual(seen.keyId, keyId))) distinct.push({ publicKey, keyId });
  }
  if (distinct.length < 1 || distinct.length > MAX_KEY_ENVELOPE_SLOTS) {
    throw new WebCryptoError('MALFORMED', `A record must be sealed to 1..${MAX_KEY_ENVELOPE_SLOTS} keys.`);
  }
  const slots = [];
  for (const [index, { publicKey, keyId }] of distinct.entries()) {
    const ephemeral = options.ephemerals?.[index];
    const { enc, ciphertext } = await seal(publicKey, DATA_KEY_HPKE_INFO, aad, dataKey, { ephemeral });
    slots.push({ keyId, enc, sealedDataKey: ciphertext });
  }
  return encodeKeyEnvelope(slots);
}
