// @ts-check
/**
 * The bytes a record's signature covers and the aad its AEADs are bound to, byte for byte as the
 * service's src/domain/record-codec.ts writes them (recordSigningPayload, recordAad). Every field
 * is length-prefixed: I2OSP(length, 4) || bytes.
 */
import { buf, concatBytes, lengthPrefixed, subtle, utf8, WebCryptoError } from './bytes.js';
import { KEY_ENVELOPE_V2 } from './key-envelope.js';

const SIGNING_DOMAIN_V1 = utf8('patient-centric-emr/record-signature/v1');
const SIGNING_DOMAIN_V2 = utf8('patient-centric-emr/record-signature/v2');
const AAD_DOMAIN = utf8('patient-centric-emr/record/v1');
export const RECORD_ID_BYTES = 32;
export const PATIENT_KEY_BYTES = 32;
export const SHA256_BYTES = 32;
/** The ledgers a record signature can name; the chain is inside the payload, so a copy replayed
 * onto the other ledger fails unless it was signed for that ledger too. */
export const CHAINS = /** @type {const} */ (['supchain', 'medchain']);

/** @param {Uint8Array} bytes */
export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', buf(bytes)));
}

/**
 * @param {Uint8Array} value
 * @param {number} length
 * @param {string} name
 */
function requireBytes(value, length, name) {
  if (!ArrayBuffer.isView(value) || value.length !== length) {
    throw new WebCryptoError('MALFORMED', `${name} must be ${length} bytes.`);
  }
}

/**
 * The record's aad: lp("patient-centric-emr/record/v1") | lp(patientKey 32) | lp(recordId 32).
 * It binds every AEAD under the data key to the patient and the record, not to the ledger.
 * @param {Uint8Array} patientKey
 * @param {Uint8Array} recordId
 */
export function recordAad(patientKey, recordId) {
  requireBytes(patientKey, PATIENT_KEY_BYTES, 'A patient key');
  requireBytes(recordId, RECORD_ID_BYTES, 'A record id');
  return concatBytes(lengthPrefixed(AAD_DOMAIN), lengthPrefixed(patientKey), lengthPrefixed(recordId));
}

/**
 * What a record signature covers (issue 13 spec §3). For a v2 key envelope:
 *   lp("…/record-signature/v2") | lp(chain) | lp(patientKey) | lp(recordId) | lp(contentSha256)
 *     | lp(sealedHeader) | lp(SHA-256(keyEnvelope))
 * For a v1 envelope (older records) the same without the last field, under "…/record-signature/v1":
 * those signatures never covered the envelope.
 * @param {{ chain: string, patientKey: Uint8Array, recordId: Uint8Array, contentSha256: Uint8Array,
 *   sealedHeader: Uint8Array, keyEnvelope: Uint8Array }} fields
 */
export async function recordSigningPayload({ chain, patientKey, recordId, contentSha256, sealedHeader, keyEnvelope }) {
  if (!CHAINS.includes(/** @type {any} */ (chain))) throw new WebCryptoError('MALFORMED', 'Unknown chain.');
  requireBytes(patientKey, PATIENT_KEY_BYTES, 'A patient key');
  requireBytes(recordId, RECORD_ID_BYTES, 'A record id');
  requireBytes(contentSha256, SHA256_BYTES, 'A content SHA-256');
  if (!ArrayBuffer.isView(sealedHeader) || !ArrayBuffer.isView(keyEnvelope) || keyEnvelope.length < 1) {
    throw new WebCryptoError('MALFORMED', 'The sealed header and key envelope must be bytes.');
  }
  const v2 = keyEnvelope[0] === KEY_ENVELOPE_V2;
  const fields = [
    lengthPrefixed(v2 ? SIGNING_DOMAIN_V2 : SIGNING_DOMAIN_V1),
    lengthPrefixed(utf8(chain)),
    lengthPrefixed(patientKey),
    lengthPrefixed(recordId),
    lengthPrefixed(contentSha256),
    lengthPrefixed(sealedHeader),
  ];
  if (v2) fields.push(lengthPrefixed(await sha256(keyEnvelope)));
  return concatBytes(...fields);
}
