// @ts-check
/**
 * Consent signed by the patient (issue 14 spec, parts A and B): the message the
 * PatientAccessRegistry rebuilds and checks with P256VERIFY (EIP-7951) over h = SHA-256(M), and
 * the dataHash each kind of change carries. WebCrypto's ECDSA P-256/SHA-256 hashes the message
 * itself, so signing M here is exactly what the contract verifies.
 *
 * Wire format of M: abi.encode of nine static values, each one 32-byte big-endian word (288 bytes):
 *
 *   0     32  DOMAIN       bytes32  SHA-256(utf8("patient-centric-emr/PatientAccessRegistry/v2"))
 *   32    32  chainId      uint256
 *   64    32  registry     address  12 zero bytes | 20-byte address
 *   96    32  action       uint8    31 zero bytes | 1 grant, 2 revoke, 3 replace the signing key
 *   128   32  patientKey   bytes32  the patient pseudonym
 *   160   32  providerKey  bytes32  grant/revoke: the provider pseudonym; replace: zero
 *   192   32  expiresAt    uint64   24 zero bytes | 8 bytes; grant: 0 (until revoked) or a unix time; else 0
 *   224   32  nonce        uint64   24 zero bytes | 8 bytes; the patient's next nonce on this registry
 *   256   32  dataHash     bytes32  see grantDataHash, revokeDataHash, replaceKeyDataHash
 *
 * Chain id and registry address are inside M, so each ledger needs its own signature.
 */
import { bytesEqual, concatBytes, fromHex0x, hexToBytes, lengthPrefixed, toHex0x, WebCryptoError } from './bytes.js';
import { signRecord, verifyRecordSignature } from './ecdsa.js';
import { importP256PublicKey, P256_PUBLIC_KEY_BYTES, P256_SCALAR_BYTES } from './p256.js';
import { sha256 } from './record-payload.js';

const WORD_BYTES = 32;
const CONSENT_WORDS = 9;
export const CONSENT_MESSAGE_BYTES = CONSENT_WORDS * WORD_BYTES;
const ADDRESS_BYTES = 20;
const KEY_BYTES = 32;
const HASH_BYTES = 32;
/** The contract's MAX_KEY_ENVELOPE_BYTES: a slot is 1..4096 bytes (PatientAccessRegistryBadKeyEnvelope otherwise). */
export const MAX_EPOCH_SLOT_BYTES = 4096;
const UINT8_BITS = 8n;
const UINT64_BITS = 64n;
const UINT256_BITS = 256n;
/** Order n of the P-256 base point (SEC 2 §2.4.2); the contract wants r, s in [1, n-1] and s <= n/2. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = P256_ORDER >> 1n;
const SEC1_X_START = 1;
const SEC1_Y_START = SEC1_X_START + P256_SCALAR_BYTES;

/** The `action` word. */
export const CONSENT_ACTION = Object.freeze({ GRANT: 1, REVOKE: 2, REPLACE_KEY: 3 });

/**
 * SHA-256(utf8("patient-centric-emr/PatientAccessRegistry/v2")), the contract's DOMAIN constant.
 * Written out because WebCrypto's digest is async; a test recomputes it.
 */
const DOMAIN_WORD = hexToBytes('4ec5aac67d59340c67358cc29ff4df8952a3210e5c3e50c6ae72006c030c1cc7');
/** A copy for callers: the word consentMessage writes cannot be changed from outside. */
export const CONSENT_DOMAIN = DOMAIN_WORD.slice();

/**
 * @typedef {{ chainId: bigint | number, registry: string, action: 1 | 2 | 3, patientKey: Uint8Array,
 *   providerKey?: Uint8Array | null, expiresAt?: bigint | number, nonce: bigint | number,
 *   dataHash: Uint8Array }} ConsentFields
 * providerKey: null, absent or 32 zero bytes for a key replacement; expiresAt absent means 0.
 * @typedef {{ chainId: bigint, registry: string, action: 1 | 2 | 3, patientKey: Uint8Array,
 *   providerKey: Uint8Array, expiresAt: bigint, nonce: bigint, dataHash: Uint8Array }} DecodedConsent
 */

/** @param {string} message */
function malformed(message) {
  return new WebCryptoError('MALFORMED', message);
}

/**
 * @param {unknown} value
 * @param {bigint} bits
 * @param {string} name
 */
function unsigned(value, bits, name) {
  const number =
    typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : null;
  if (number === null || number < 0n || number >> bits !== 0n) {
    throw malformed(`${name} must be an unsigned ${bits}-bit integer.`);
  }
  return number;
}

/**
 * A uint as one big-endian word, right-aligned.
 * @param {bigint} value
 */
function uintWord(value) {
  const word = new Uint8Array(WORD_BYTES);
  let rest = value;
  for (let i = WORD_BYTES - 1; i >= 0 && rest > 0n; i--) {
    word[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return word;
}

/** @param {Uint8Array} bytes big-endian */
function wordValue(bytes) {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * @param {unknown} value
 * @param {number} length
 * @param {string} name
 * @returns {Uint8Array}
 */
function fixedBytes(value, length, name) {
  if (!ArrayBuffer.isView(value) || value.byteLength !== length) throw malformed(`${name} must be ${length} bytes.`);
  return /** @type {Uint8Array} */ (value);
}

/** @param {Uint8Array} bytes */
function isZero(bytes) {
  return bytes.every((byte) => byte === 0);
}

/**
 * M for these fields (layout at the top of this file). MALFORMED for a field out of its type's
 * range, and for a combination the contract never builds: a revoke or key replacement with an
 * expiry, a key replacement naming a provider, a grant or revoke naming none.
 * @param {ConsentFields} fields
 */
export function consentMessage(fields) {
  const { chainId, registry, action, patientKey, providerKey, expiresAt = 0n, nonce, dataHash } = fields;
  if (action !== CONSENT_ACTION.GRANT && action !== CONSENT_ACTION.REVOKE && action !== CONSENT_ACTION.REPLACE_KEY) {
    throw malformed('The consent action must be 1 (grant), 2 (revoke) or 3 (replace key).');
  }
  if (typeof registry !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(registry)) {
    throw malformed('The registry must be a 0x-prefixed 20-byte address.');
  }
  const expiry = unsigned(expiresAt, UINT64_BITS, 'expiresAt');
  if (action !== CONSENT_ACTION.GRANT && expiry !== 0n) throw malformed('Only a grant carries an expiry.');
  const provider =
    providerKey === null || providerKey === undefined
      ? new Uint8Array(KEY_BYTES)
      : fixedBytes(providerKey, KEY_BYTES, 'The provider key');
  if (action === CONSENT_ACTION.REPLACE_KEY ? !isZero(provider) : providerKey === null || providerKey === undefined) {
    throw malformed('A grant or revoke names a provider; a key replacement names none.');
  }
  const addressWord = new Uint8Array(WORD_BYTES);
  addressWord.set(fromHex0x(registry, ADDRESS_BYTES), WORD_BYTES - ADDRESS_BYTES);
  return concatBytes(
    DOMAIN_WORD,
    uintWord(unsigned(chainId, UINT256_BITS, 'chainId')),
    addressWord,
    uintWord(unsigned(action, UINT8_BITS, 'action')),
    fixedBytes(patientKey, KEY_BYTES, 'The patient key'),
    provider,
    uintWord(expiry),
    uintWord(unsigned(nonce, UINT64_BITS, 'nonce')),
    fixedBytes(dataHash, HASH_BYTES, 'The data hash'),
  );
}

/**
 * The fields of a message as the ledger's events carry it (registry in lower case); MALFORMED
 * unless it is exactly what consentMessage writes for them (right length and domain, zero padding).
 * @param {Uint8Array} message
 * @returns {DecodedConsent}
 */
export function decodeConsentMessage(message) {
  fixedBytes(message, CONSENT_MESSAGE_BYTES, 'A consent message');
  /** @param {number} index */
  const word = (index) => message.slice(index * WORD_BYTES, (index + 1) * WORD_BYTES);
  if (!bytesEqual(word(0), DOMAIN_WORD)) throw malformed('The consent message has another domain.');
  const decoded = {
    chainId: wordValue(word(1)),
    registry: toHex0x(word(2).subarray(WORD_BYTES - ADDRESS_BYTES)),
    action: /** @type {1 | 2 | 3} */ (Number(wordValue(word(3)) & 0xffn)),
    patientKey: word(4),
    providerKey: word(5),
    expiresAt: wordValue(word(6)) & ((1n << UINT64_BITS) - 1n),
    nonce: wordValue(word(7)) & ((1n << UINT64_BITS) - 1n),
    dataHash: word(8),
  };
  // Re-encoding catches non-zero padding and combinations the contract never signs.
  const fields = decoded.action === CONSENT_ACTION.REPLACE_KEY ? { ...decoded, providerKey: null } : decoded;
  if (!bytesEqual(consentMessage(fields), message)) throw malformed('The consent message is not canonical.');
  return decoded;
}

/**
 * The patient's signature of a consent change: `{ message, r, s }`, r and s as 0x-hex of 32
 * bytes each, low-S (the contract refuses s > n/2), ready for grantConsent / revokeConsent /
 * replacePatientKey.
 * @param {CryptoKey} signingPrivateKey the patient's ECDSA P-256 key (may be non-extractable)
 * @param {ConsentFields} fields
 */
export async function signConsent(signingPrivateKey, fields) {
  const message = consentMessage(fields);
  const signature = await signRecord(signingPrivateKey, message);
  return {
    message,
    r: toHex0x(signature.subarray(0, P256_SCALAR_BYTES)),
    s: toHex0x(signature.subarray(P256_SCALAR_BYTES)),
  };
}

/**
 * @param {unknown} value
 * @returns {Uint8Array | null}
 */
function scalarBytes(value) {
  if (typeof value === 'string') {
    try {
      return fromHex0x(value, P256_SCALAR_BYTES);
    } catch {
      return null;
    }
  }
  return ArrayBuffer.isView(value) && value.byteLength === P256_SCALAR_BYTES ? /** @type {Uint8Array} */ (value) : null;
}

/**
 * True only when (r, s) is a signature the contract accepts for this message and key: r, s in
 * [1, n-1], s <= n/2, and ECDSA P-256 over SHA-256(M) verifies. `fieldsOrMessage` is either the
 * fields (MALFORMED if they do not make a message) or M itself as an event carries it (false
 * unless it is a canonical consent message). r, s: 0x-hex or 32 bytes each; anything else is false.
 * A signing key that is not a P-256 point raises INVALID_KEY.
 * @param {Uint8Array} signingPublicKey 65-byte SEC 1 point (0x04 | x | y of the registered key)
 * @param {ConsentFields | Uint8Array} fieldsOrMessage
 * @param {string | Uint8Array} r
 * @param {string | Uint8Array} s
 */
export async function verifyConsentSignature(signingPublicKey, fieldsOrMessage, r, s) {
  await importP256PublicKey(signingPublicKey, 'ECDSA');
  let message;
  if (ArrayBuffer.isView(fieldsOrMessage)) {
    message = /** @type {Uint8Array} */ (fieldsOrMessage);
    try {
      decodeConsentMessage(message);
    } catch {
      return false;
    }
  } else {
    message = consentMessage(fieldsOrMessage);
  }
  const rBytes = scalarBytes(r);
  const sBytes = scalarBytes(s);
  if (rBytes === null || sBytes === null) return false;
  const rValue = wordValue(rBytes);
  const sValue = wordValue(sBytes);
  if (rValue < 1n || rValue >= P256_ORDER || sValue < 1n || sValue > HALF_ORDER) return false;
  return verifyRecordSignature(signingPublicKey, message, concatBytes(rBytes, sBytes));
}

/**
 * @param {unknown} slot
 * @param {string} name
 * @returns {Uint8Array}
 */
function checkedSlot(slot, name) {
  if (!ArrayBuffer.isView(slot) || slot.byteLength < 1 || slot.byteLength > MAX_EPOCH_SLOT_BYTES) {
    throw malformed(`${name} must be 1..${MAX_EPOCH_SLOT_BYTES} bytes.`);
  }
  return /** @type {Uint8Array} */ (slot);
}

/**
 * dataHash of a grant: SHA-256(slot), the one epoch slot the grant adds for the provider.
 * @param {Uint8Array} slot
 */
export function grantDataHash(slot) {
  return sha256(checkedSlot(slot, 'An epoch slot'));
}

/**
 * dataHash of a revoke: SHA-256(lp(newEpochPublicKey) | lp(slot_0) | lp(slot_1) | …), lp = 4-byte
 * big-endian length | bytes. INVALID_KEY for a key that is not a P-256 point; MALFORMED without
 * slots or for a slot the contract would refuse.
 * @param {Uint8Array} newEpochPublicKey 65-byte SEC 1 point
 * @param {readonly Uint8Array[]} slots
 */
export async function revokeDataHash(newEpochPublicKey, slots) {
  await importP256PublicKey(newEpochPublicKey, 'ECDH');
  if (!Array.isArray(slots) || slots.length < 1) throw malformed('A new epoch needs at least one slot.');
  const parts = [lengthPrefixed(newEpochPublicKey)];
  for (const [index, slot] of slots.entries()) parts.push(lengthPrefixed(checkedSlot(slot, `Epoch slot ${index}`)));
  return sha256(concatBytes(...parts));
}

/**
 * dataHash of a signing-key replacement: SHA-256(newX | newY).
 * @param {Uint8Array} x 32 bytes
 * @param {Uint8Array} y 32 bytes
 */
export function replaceKeyDataHash(x, y) {
  return sha256(concatBytes(fixedBytes(x, P256_SCALAR_BYTES, 'x'), fixedBytes(y, P256_SCALAR_BYTES, 'y')));
}

/**
 * x and y of a signing public key, as registerPatientKey and replacePatientKey take them.
 * INVALID_KEY unless it is a 65-byte point on P-256.
 * @param {Uint8Array} signingPublicKey
 */
export async function signingKeyCoordinates(signingPublicKey) {
  await importP256PublicKey(signingPublicKey, 'ECDSA');
  return {
    x: signingPublicKey.slice(SEC1_X_START, SEC1_Y_START),
    y: signingPublicKey.slice(SEC1_Y_START, P256_PUBLIC_KEY_BYTES),
  };
}
