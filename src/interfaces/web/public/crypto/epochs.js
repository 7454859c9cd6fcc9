// @ts-check
/**
 * Epoch keys (issue 14 spec, part B): each epoch of a patient is a P-256 ECDH key pair made in
 * the patient's browser. Records are sealed to its public half; its private scalar (32 bytes) is
 * sealed to each recipient separately as an "epoch slot": a v2 key envelope with one slot, the
 * same HPKE as a record's data key (info `patient-centric-emr/v2/data-key`), under the epoch aad
 *
 *   lp("patient-centric-emr/epoch/v1") | lp(patientKey 32) | lp(u32be(epoch index))
 *
 * (lp = 4-byte big-endian length | bytes), which binds a slot to its patient and epoch, so a slot
 * cannot be replayed into another epoch and an epoch slot never opens as a record's envelope.
 * The service never sees a scalar: it relays public keys and slots to the ledgers.
 */
import { bytesEqual, concatBytes, lengthPrefixed, utf8, WebCryptoError } from './bytes.js';
import {
  describeKeyEnvelope,
  KEY_ENVELOPE_V2,
  sealDataKey,
  unwrapDataKey,
  unwrapFromEnvelopes,
} from './key-envelope.js';
import {
  exportP256PrivateKey,
  generateP256KeyPair,
  importP256PrivateKey,
  importP256PublicKey,
  p256Ecdh,
} from './p256.js';

const EPOCH_AAD_DOMAIN = utf8('patient-centric-emr/epoch/v1');
const PATIENT_KEY_BYTES = 32;
const EPOCH_INDEX_BYTES = 4;
/** The index is a u32 in the aad. */
export const MAX_EPOCH_INDEX = 0xffffffff;

/**
 * An epoch key a reader holds: a recipient for HPKE (the private half non-extractable) and the
 * epoch it belongs to.
 * @typedef {{ index: number, publicKey: Uint8Array, privateKey: CryptoKey }} EpochKey
 * @typedef {import('./hpke.js').P256KeyPair} P256KeyPair
 */

/**
 * @param {unknown} index
 * @returns {number}
 */
function checkedIndex(index) {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index > MAX_EPOCH_INDEX) {
    throw new WebCryptoError('MALFORMED', `An epoch index must be an integer in 0..${MAX_EPOCH_INDEX}.`);
  }
  return index;
}

/**
 * The aad of every slot of epoch `index` of this patient (layout at the top of this file).
 * @param {Uint8Array} patientKey 32-byte patient pseudonym
 * @param {number} index
 */
export function epochAad(patientKey, index) {
  if (!ArrayBuffer.isView(patientKey) || patientKey.length !== PATIENT_KEY_BYTES) {
    throw new WebCryptoError('MALFORMED', `A patient key must be ${PATIENT_KEY_BYTES} bytes.`);
  }
  const indexBytes = new Uint8Array(EPOCH_INDEX_BYTES);
  new DataView(indexBytes.buffer).setUint32(0, checkedIndex(index), false);
  return concatBytes(lengthPrefixed(EPOCH_AAD_DOMAIN), lengthPrefixed(patientKey), lengthPrefixed(indexBytes));
}

/**
 * An epoch slot: `scalar` sealed to one recipient (a v2 key envelope with one slot, 115 bytes).
 * The patient uses it to add a provider to the current epoch (a grant) with the scalar that
 * openEpochSlot gave back from the patient's own slot.
 * @param {{ scalar: Uint8Array, recipientPublicKey: Uint8Array, patientKey: Uint8Array, index: number }} input
 */
export function sealEpochSlot({ scalar, recipientPublicKey, patientKey, index }) {
  return sealDataKey(scalar, [recipientPublicKey], epochAad(patientKey, index));
}

/**
 * A new epoch: a fresh key pair and one slot per recipient, in the order given (at claim the
 * patient alone; at a revoke the patient and each provider still consented). The scalar is wiped
 * before returning unless `keepScalar`, for a caller that must seal more slots to this epoch in
 * the same operation; it never leaves the browser either way.
 * INVALID_KEY for a recipient key that is not a P-256 point; MALFORMED for no recipients or a
 * repeated one (each slot answers for one recipient, in order).
 * @param {{ patientKey: Uint8Array, index: number, recipientPublicKeys: readonly Uint8Array[], keepScalar?: boolean }} input
 * @returns {Promise<{ publicKey: Uint8Array, slots: Uint8Array[], privateScalar?: Uint8Array }>}
 */
export async function createEpoch({ patientKey, index, recipientPublicKeys, keepScalar = false }) {
  const aad = epochAad(patientKey, index);
  if (!Array.isArray(recipientPublicKeys) || recipientPublicKeys.length < 1) {
    throw new WebCryptoError('MALFORMED', 'An epoch needs at least one recipient.');
  }
  for (const [position, publicKey] of recipientPublicKeys.entries()) {
    await importP256PublicKey(publicKey, 'ECDH');
    if (recipientPublicKeys.slice(0, position).some((seen) => bytesEqual(seen, publicKey))) {
      throw new WebCryptoError('MALFORMED', 'An epoch recipient is listed twice.');
    }
  }
  // Extractable once, only to take the scalar out for sealing; the CryptoKey is dropped here.
  const pair = await generateP256KeyPair('ECDH', true);
  const scalar = await exportP256PrivateKey(pair.privateKey);
  try {
    const slots = [];
    for (const publicKey of recipientPublicKeys) slots.push(await sealDataKey(scalar, [publicKey], aad));
    return keepScalar
      ? { publicKey: pair.publicKey, slots, privateScalar: scalar }
      : { publicKey: pair.publicKey, slots };
  } finally {
    if (!keepScalar) scalar.fill(0);
  }
}

/**
 * True when `privateKey` is the private half of `publicKey`: e·(d·G) and d·(e·G) agree for a fresh
 * e exactly when publicKey = d·G. Browsers differ in whether a JWK import checks that itself.
 * @param {CryptoKey} privateKey
 * @param {Uint8Array} publicKey
 */
async function isKeyPair(privateKey, publicKey) {
  const probe = await generateP256KeyPair('ECDH');
  const theirs = await p256Ecdh(probe.privateKey, publicKey);
  const ours = await p256Ecdh(privateKey, probe.publicKey);
  return bytesEqual(theirs, ours);
}

/**
 * The epoch key from a slot sealed to `recipient`: `{ index, publicKey, privateKey, scalar }`, the
 * private key a non-extractable ECDH CryptoKey for reading records, the scalar for sealing a
 * grant's slot (sealEpochSlot). `publicKey` is the epoch's public key from the ledger: WebCrypto
 * imports a private scalar only together with its point, and the scalar is checked against it.
 * MALFORMED for a slot that is not a v2 envelope; NO_SLOT when it does not open for this recipient
 * (another's slot, another epoch's or patient's, or tampered: a trial reader cannot tell);
 * INTEGRITY when it opens to a scalar that is not the epoch's.
 * @param {{ slot: Uint8Array, recipient: P256KeyPair, patientKey: Uint8Array, index: number, publicKey: Uint8Array }} input
 * @returns {Promise<EpochKey & { scalar: Uint8Array }>}
 */
export async function openEpochSlot({ slot, recipient, patientKey, index, publicKey }) {
  const aad = epochAad(patientKey, index);
  await importP256PublicKey(publicKey, 'ECDH');
  if (describeKeyEnvelope(slot).version !== KEY_ENVELOPE_V2) {
    throw new WebCryptoError('MALFORMED', 'An epoch slot is a v2 key envelope.');
  }
  const scalar = await unwrapDataKey(slot, recipient, aad);
  let privateKey;
  try {
    privateKey = await importP256PrivateKey(scalar, publicKey, 'ECDH');
  } catch {
    privateKey = null;
  }
  if (privateKey === null || !(await isKeyPair(privateKey, publicKey))) {
    scalar.fill(0);
    throw new WebCryptoError('INTEGRITY', "The epoch slot does not hold the epoch's private key.");
  }
  return { index, publicKey: publicKey.slice(), privateKey, scalar };
}

/**
 * Every epoch this recipient holds a slot in, newest first: for each epoch, its slots are tried
 * in order and the first that opens to the epoch's key counts. Epochs without one are left out.
 * @param {{ epochs: readonly { index: number, publicKey: Uint8Array, slots: readonly Uint8Array[] }[],
 *   recipient: P256KeyPair, patientKey: Uint8Array }} input
 * @returns {Promise<EpochKey[]>}
 */
export async function resolveEpochKeys({ epochs, recipient, patientKey }) {
  await importP256PublicKey(recipient.publicKey, 'ECDH');
  /** @type {EpochKey[]} */
  const keys = [];
  for (const epoch of epochs) {
    for (const slot of epoch.slots) {
      try {
        const { scalar, ...key } = await openEpochSlot({
          slot,
          recipient,
          patientKey,
          index: epoch.index,
          publicKey: epoch.publicKey,
        });
        scalar.fill(0);
        keys.push(key);
        break;
      } catch (error) {
        // The recipient's key was checked above: a failure here is about this slot or epoch (not
        // for this recipient, tampered, or an epoch key off the curve); the next slot may do.
        if (!(error instanceof WebCryptoError)) throw error;
      }
    }
  }
  return newestFirst(keys);
}

/**
 * @param {readonly EpochKey[]} epochKeys
 */
function newestFirst(epochKeys) {
  return [...epochKeys].sort((a, b) => checkedIndex(b.index) - checkedIndex(a.index));
}

/**
 * A record's data key through the epoch keys a reader holds: each key, newest epoch first, tries
 * the record's envelopes in order (unwrapFromEnvelopes; `openHeader` as there). Null when no
 * epoch key opens any of them; the reader then tries its own key, as for records from before
 * epochs.
 * @param {readonly Uint8Array[]} envelopes the record's key envelope, then any added ones
 * @param {readonly EpochKey[]} epochKeys
 * @param {Uint8Array} aad the record's aad
 * @param {(dataKey: Uint8Array) => Promise<unknown>} [openHeader]
 */
export async function unwrapRecordWithEpochs(envelopes, epochKeys, aad, openHeader) {
  for (const epochKey of newestFirst(epochKeys)) {
    const dataKey = await unwrapFromEnvelopes(envelopes, epochKey, aad, openHeader);
    if (dataKey !== null) return dataKey;
  }
  return null;
}
