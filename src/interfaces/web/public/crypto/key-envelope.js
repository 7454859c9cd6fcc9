// @ts-check
/**
 * The service's key envelope: the record's data key sealed to each recipient with single-shot
 * HPKE. Byte-compatible with HpkeP256Cipher and src/infrastructure/crypto/key-envelope.codec.ts.
 * Version 2 is written; version 1 is still read.
 *
 * Wire format, version 2 (offsets in bytes; issue 13 spec §2):
 *
 *   0     1   version            0x02
 *   1     1   slot count n       1..255
 *   2   113n  n slots, each:
 *         +0    65  enc              HPKE ephemeral public key, SEC 1 uncompressed
 *         +65   48  sealed data key  AES-256-GCM(32-byte data key) || 16-byte tag
 *
 * Total length is exactly 2 + 113n. Slot i is HPKE SealBase(pkR_i, info = DATA_KEY_HPKE_INFO,
 * aad = the record's aad, data key), in recipient order. No key id: nothing in the envelope links
 * a record to a person, so a recipient finds its slot by trial decryption (the first slot that
 * authenticates under its key wins).
 *
 * Wire format, version 1 (read only):
 *
 *   0     1   version            0x01
 *   1     1   slot count n       1..255
 *   2   145n  n slots, each:
 *         +0    32  key id           SHA-256(recipient's 65-byte SEC 1 public key)
 *         +32   65  enc              HPKE ephemeral public key, SEC 1 uncompressed
 *         +97   48  sealed data key  AES-256-GCM(32-byte data key) || 16-byte tag
 *
 * Total length is exactly 2 + 145n; info = DATA_KEY_HPKE_INFO_V1; a recipient finds its slot by key id.
 */
import { buf, bytesEqual, subtle, utf8, WebCryptoError } from './bytes.js';
import { AES256_KEY_BYTES, GCM_TAG_BYTES, open, seal } from './hpke.js';
import { importP256PublicKey, P256_PUBLIC_KEY_BYTES } from './p256.js';

/**
 * HPKE info of every v2 slot, the ones written: binds it to this use and format version (as the
 * service's DATA_KEY_HPKE_INFO does), so a slot of one version cannot pass for the other.
 */
export const DATA_KEY_HPKE_INFO = utf8('patient-centric-emr/v2/data-key');
/** HPKE info of v1 slots, still read, never written. */
export const DATA_KEY_HPKE_INFO_V1 = utf8('patient-centric-emr/v1/data-key');
export const KEY_ENVELOPE_V1 = 0x01;
export const KEY_ENVELOPE_V2 = 0x02;
/** The version sealDataKey writes. */
export const KEY_ENVELOPE_VERSION = KEY_ENVELOPE_V2;
const KEY_ENVELOPE_HEADER_BYTES = 2;
export const KEY_ID_BYTES = 32;
const ENC_BYTES = P256_PUBLIC_KEY_BYTES;
const SEALED_DATA_KEY_BYTES = AES256_KEY_BYTES + GCM_TAG_BYTES;
/** A v1 slot: key id | enc | sealed data key. */
export const KEY_ENVELOPE_SLOT_BYTES = KEY_ID_BYTES + ENC_BYTES + SEALED_DATA_KEY_BYTES;
/** A v2 slot: enc | sealed data key. */
export const KEY_ENVELOPE_V2_SLOT_BYTES = ENC_BYTES + SEALED_DATA_KEY_BYTES;
/** The slot count is one octet. */
export const MAX_KEY_ENVELOPE_SLOTS = 0xff;

/**
 * A slot; `keyId` is null in a v2 envelope, which names no recipient.
 * @typedef {{ keyId: Uint8Array | null, enc: Uint8Array, sealedDataKey: Uint8Array }} KeyEnvelopeSlot
 * @typedef {import('./hpke.js').P256KeyPair} P256KeyPair
 */

const MALFORMED_MESSAGE = 'The key envelope is malformed.';

/** @param {number} version */
function slotBytes(version) {
  if (version === KEY_ENVELOPE_V1) return KEY_ENVELOPE_SLOT_BYTES;
  if (version === KEY_ENVELOPE_V2) return KEY_ENVELOPE_V2_SLOT_BYTES;
  throw new WebCryptoError('MALFORMED', 'The key envelope has an unsupported version.');
}

/**
 * A slot's key id: SHA-256 of the 65-byte public key (the id the service's signer uses too).
 * @param {Uint8Array} publicKey
 */
export async function keyIdOf(publicKey) {
  return new Uint8Array(await subtle.digest('SHA-256', buf(publicKey)));
}

/**
 * Version and slot count, once the whole layout is checked; MALFORMED otherwise.
 * @param {Uint8Array} envelope
 * @returns {{ version: 1 | 2, slots: number }}
 */
export function describeKeyEnvelope(envelope) {
  if (!ArrayBuffer.isView(envelope) || envelope.length < KEY_ENVELOPE_HEADER_BYTES) {
    throw new WebCryptoError('MALFORMED', MALFORMED_MESSAGE);
  }
  const version = envelope[0];
  const perSlot = slotBytes(version);
  const count = envelope[1];
  if (count < 1 || envelope.length !== KEY_ENVELOPE_HEADER_BYTES + count * perSlot) {
    throw new WebCryptoError('MALFORMED', MALFORMED_MESSAGE);
  }
  return { version: version === KEY_ENVELOPE_V1 ? 1 : 2, slots: count };
}

/**
 * Layout: see the top of this file (either version). MALFORMED for anything that does not follow
 * it exactly.
 * @param {Uint8Array} envelope
 * @returns {KeyEnvelopeSlot[]} copies, safe to keep
 */
export function decodeKeyEnvelope(envelope) {
  const { version, slots: count } = describeKeyEnvelope(envelope);
  const perSlot = slotBytes(version);
  const keyIdBytes = version === KEY_ENVELOPE_V1 ? KEY_ID_BYTES : 0;
  const slots = [];
  for (let i = 0; i < count; i++) {
    const start = KEY_ENVELOPE_HEADER_BYTES + i * perSlot;
    const encStart = start + keyIdBytes;
    const sealedStart = encStart + ENC_BYTES;
    slots.push({
      keyId: keyIdBytes === 0 ? null : envelope.slice(start, encStart),
      enc: envelope.slice(encStart, sealedStart),
      sealedDataKey: envelope.slice(sealedStart, sealedStart + SEALED_DATA_KEY_BYTES),
    });
  }
  return slots;
}

/**
 * Layout: see the top of this file. Version 2 unless told otherwise; version 1 needs a key id in
 * every slot (kept so tests can build the envelopes older records carry).
 * @param {readonly KeyEnvelopeSlot[]} slots
 * @param {1 | 2} [version]
 */
export function encodeKeyEnvelope(slots, version = KEY_ENVELOPE_VERSION) {
  const perSlot = slotBytes(version);
  if (slots.length < 1 || slots.length > MAX_KEY_ENVELOPE_SLOTS) {
    throw new WebCryptoError('MALFORMED', `A key envelope holds 1..${MAX_KEY_ENVELOPE_SLOTS} slots.`);
  }
  const keyIdBytes = version === KEY_ENVELOPE_V1 ? KEY_ID_BYTES : 0;
  const envelope = new Uint8Array(KEY_ENVELOPE_HEADER_BYTES + slots.length * perSlot);
  envelope[0] = version;
  envelope[1] = slots.length;
  slots.forEach((slot, index) => {
    if (
      (keyIdBytes > 0 && slot.keyId?.length !== KEY_ID_BYTES) ||
      slot.enc.length !== ENC_BYTES ||
      slot.sealedDataKey.length !== SEALED_DATA_KEY_BYTES
    ) {
      throw new WebCryptoError('MALFORMED', 'A key envelope slot field has the wrong length.');
    }
    const start = KEY_ENVELOPE_HEADER_BYTES + index * perSlot;
    if (slot.keyId && keyIdBytes > 0) envelope.set(slot.keyId, start);
    envelope.set(slot.enc, start + keyIdBytes);
    envelope.set(slot.sealedDataKey, start + keyIdBytes + ENC_BYTES);
  });
  return envelope;
}

/**
 * The v1 slot for this public key, or null; MALFORMED as decodeKeyEnvelope. A v2 envelope names
 * no recipient, so it has no answer here: MALFORMED (use unwrapDataKey, which tries each slot).
 * @param {Uint8Array} envelope
 * @param {Uint8Array} publicKey 65-byte SEC 1 point
 */
export async function findKeyEnvelopeSlot(envelope, publicKey) {
  if (describeKeyEnvelope(envelope).version !== 1) {
    throw new WebCryptoError('MALFORMED', 'A v2 key envelope names no recipients.');
  }
  const keyId = await keyIdOf(publicKey);
  return decodeKeyEnvelope(envelope).find((slot) => slot.keyId !== null && bytesEqual(slot.keyId, keyId)) ?? null;
}

/**
 * HPKE OpenBase of one slot: the 32-byte data key, or null when the slot does not authenticate
 * under this key pair (another recipient's slot, a tampered one, or an enc off the curve: a trial
 * reader cannot tell them apart, and must not say which).
 * @param {KeyEnvelopeSlot} slot
 * @param {P256KeyPair} recipient
 * @param {Uint8Array} info
 * @param {Uint8Array} aad
 */
async function openSlot(slot, recipient, info, aad) {
  let dataKey;
  try {
    dataKey = await open(slot.enc, recipient, info, aad, slot.sealedDataKey);
  } catch (error) {
    if (error instanceof WebCryptoError) return null;
    throw error;
  }
  return dataKey.length === AES256_KEY_BYTES ? dataKey : null;
}

/**
 * Every data key the envelope yields for this recipient, in slot order: v1, the one slot with
 * its key id (DECRYPTION_FAILED if that slot does not open, as before); v2, each slot that
 * authenticates. Nothing for a v2 envelope without a slot for it; NO_SLOT for a v1 one.
 * @param {Uint8Array} envelope
 * @param {P256KeyPair} recipient
 * @param {Uint8Array} aad
 * @returns {AsyncGenerator<Uint8Array>}
 */
export async function* dataKeysFor(envelope, recipient, aad) {
  await importP256PublicKey(recipient.publicKey, 'ECDH');
  const { version } = describeKeyEnvelope(envelope);
  if (version === 1) {
    const slot = await findKeyEnvelopeSlot(envelope, recipient.publicKey);
    if (slot === null) throw new WebCryptoError('NO_SLOT', 'The key envelope has no slot for this recipient.');
    const dataKey = await openSlot(slot, recipient, DATA_KEY_HPKE_INFO_V1, aad);
    // The recipient's key was checked above, so a slot that does not open is a tampered one.
    if (dataKey === null) throw new WebCryptoError('DECRYPTION_FAILED', 'The data key could not be unwrapped.');
    yield dataKey;
    return;
  }
  for (const slot of decodeKeyEnvelope(envelope)) {
    const dataKey = await openSlot(slot, recipient, DATA_KEY_HPKE_INFO, aad);
    if (dataKey !== null) yield dataKey;
  }
}

/**
 * The 32-byte data key, as HpkeP256Cipher.unwrap gives it. v1: NO_SLOT when no slot carries this
 * key's id, DECRYPTION_FAILED when that slot (or the aad) was tampered with or the private key is
 * not the public key's. v2: the first slot that authenticates; NO_SLOT when none does (for a v2
 * envelope "not sealed to you" and "tampered" look the same).
 * @param {Uint8Array} envelope
 * @param {P256KeyPair} recipient the private key may be a non-extractable CryptoKey
 * @param {Uint8Array} aad the record's aad
 */
export async function unwrapDataKey(envelope, recipient, aad) {
  for await (const dataKey of dataKeysFor(envelope, recipient, aad)) return dataKey;
  throw new WebCryptoError('NO_SLOT', 'The key envelope has no slot for this recipient.');
}

/**
 * A record's data key from its own envelope and the envelopes added later (re-wraps), tried in
 * order; the first key that `openHeader` accepts wins (without `openHeader`, the first key any
 * envelope yields). Added envelopes are not signed: a key counts only once it opens the signed
 * sealed header, so a check that throws means "no key here" and the search goes on. A malformed
 * envelope, or one without a slot for this recipient, counts as no key too. Null when nothing fits.
 * @param {readonly Uint8Array[]} envelopes
 * @param {P256KeyPair} recipient
 * @param {Uint8Array} aad
 * @param {(dataKey: Uint8Array) => Promise<unknown>} [openHeader]
 */
export async function unwrapFromEnvelopes(envelopes, recipient, aad, openHeader) {
  return (await searchDataKey(envelopes, recipient, aad, openHeader)).dataKey;
}

/**
 * unwrapFromEnvelopes, also telling how many keys authenticated but failed `openHeader` (a reader
 * that is a known recipient reports those as an integrity failure rather than "no slot").
 * @param {readonly Uint8Array[]} envelopes
 * @param {P256KeyPair} recipient
 * @param {Uint8Array} aad
 * @param {(dataKey: Uint8Array) => Promise<unknown>} [openHeader]
 * @returns {Promise<{ dataKey: Uint8Array | null, rejected: number }>}
 */
export async function searchDataKey(envelopes, recipient, aad, openHeader) {
  await importP256PublicKey(recipient.publicKey, 'ECDH');
  let rejected = 0;
  for (const envelope of envelopes) {
    try {
      for await (const dataKey of dataKeysFor(envelope, recipient, aad)) {
        if (!openHeader) return { dataKey, rejected };
        try {
          await openHeader(dataKey);
          return { dataKey, rejected };
        } catch {
          rejected += 1;
        }
      }
    } catch (error) {
      if (!(error instanceof WebCryptoError)) throw error;
      // A v1 envelope without this key's slot, a tampered v1 slot, or a malformed envelope.
      if (error.code === 'DECRYPTION_FAILED') rejected += 1;
    }
  }
  return { dataKey: null, rejected };
}

/**
 * A v2 envelope sealing `dataKey` to each distinct public key, in first-seen order (repeats
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
  /** @type {Uint8Array[]} */
  const distinct = [];
  for (const publicKey of recipientPublicKeys) {
    await importP256PublicKey(publicKey, 'ECDH');
    if (!distinct.some((seen) => bytesEqual(seen, publicKey))) distinct.push(publicKey);
  }
  if (distinct.length < 1 || distinct.length > MAX_KEY_ENVELOPE_SLOTS) {
    throw new WebCryptoError('MALFORMED', `A record must be sealed to 1..${MAX_KEY_ENVELOPE_SLOTS} keys.`);
  }
  const slots = [];
  for (const [index, publicKey] of distinct.entries()) {
    const ephemeral = options.ephemerals?.[index];
    const { enc, ciphertext } = await seal(publicKey, DATA_KEY_HPKE_INFO, aad, dataKey, { ephemeral });
    slots.push({ keyId: null, enc, sealedDataKey: ciphertext });
  }
  return encodeKeyEnvelope(slots, KEY_ENVELOPE_V2);
}
