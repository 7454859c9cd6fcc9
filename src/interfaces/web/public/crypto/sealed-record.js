// @ts-check
/**
 * Records the patient reads and writes sealed (issue 13 spec §7, §8): the SealedRecord JSON of
 * GET /patients/{id}/sealed-records[/{recordId}] opened here, and the fields of
 * POST /patients/{id}/sealed-records built here. The service never sees the patient's private
 * keys or the plaintext of these records.
 *
 * A record: aad = recordAad(patientKey, recordId); part 0 = sealed header (UTF-8 JSON, below),
 * part 1 = the file, both under one fresh data key (content.js); the data key sealed to the
 * patient first, then every consenting provider (key-envelope.js, v2); one signature per target
 * ledger over recordSigningPayload (record-payload.js, v2).
 */
import {
  bytesEqual,
  bytesToHex,
  fromBase64,
  fromHex0x,
  randomBytes,
  subtle,
  utf8,
  buf,
  WebCryptoError,
} from './bytes.js';
import { generateDataKey, openPart, sealPart } from './content.js';
import { signRecord, verifyRecordSignature } from './ecdsa.js';
import { searchDataKey, sealDataKey } from './key-envelope.js';
import { P256_PUBLIC_KEY_BYTES } from './p256.js';
import { recordAad, recordSigningPayload, RECORD_ID_BYTES, SHA256_BYTES, sha256 } from './record-payload.js';

const HEADER_PART = 0;
const CONTENT_PART = 1;
const SIGNATURE_BYTES = 64;
const SHA1_HEX = /^[0-9a-f]{40}$/;

/**
 * The header sealed inside a record, byte for byte as the service's encodeHeader writes it:
 *   { fileName, contentType, size, uploader[, sha1 (40 lowercase hex)][, documentType][, documentCategory][, documentId] }
 * @typedef {{ fileName: string, contentType: string, size: number, uploader: string, sha1?: string,
 *   documentType?: string, documentCategory?: string, documentId?: string }} RecordHeader
 * @typedef {import('./hpke.js').P256KeyPair} P256KeyPair
 * @typedef {{ encryption: P256KeyPair, signing?: { publicKey: Uint8Array },
 *   formerSigningPublicKeys?: readonly Uint8Array[], epochKeys?: readonly P256KeyPair[] }} ReaderKeys
 *   epochKeys: the patient's epoch keys (issue 14), tried after `encryption`, newest first
 *   formerSigningPublicKeys: signing keys the patient replaced (issue 14); their earlier uploads name one
 * @typedef {{ trustedServiceKeys?: readonly Uint8Array[] }} OpenOptions
 */

/** @param {RecordHeader} header */
export function encodeRecordHeader(header) {
  return utf8(
    JSON.stringify({
      fileName: header.fileName,
      contentType: header.contentType,
      size: header.size,
      uploader: header.uploader,
      ...(header.sha1 ? { sha1: header.sha1 } : {}),
      ...(header.documentType !== undefined ? { documentType: header.documentType } : {}),
      ...(header.documentCategory !== undefined ? { documentCategory: header.documentCategory } : {}),
      ...(header.documentId !== undefined ? { documentId: header.documentId } : {}),
    }),
  );
}

/**
 * Inverse of encodeRecordHeader; INTEGRITY for anything else (the header is signed, so a bad
 * one is a broken record, not bad input).
 * @param {Uint8Array} bytes
 * @returns {RecordHeader}
 */
export function decodeRecordHeader(bytes) {
  /** @type {any} */
  let parsed;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    parsed = null;
  }
  const optionalString = (/** @type {unknown} */ value) => value === undefined || typeof value === 'string';
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    typeof parsed.fileName !== 'string' ||
    typeof parsed.contentType !== 'string' ||
    !Number.isSafeInteger(parsed.size) ||
    parsed.size < 0 ||
    typeof parsed.uploader !== 'string' ||
    !(parsed.sha1 === undefined || (typeof parsed.sha1 === 'string' && SHA1_HEX.test(parsed.sha1))) ||
    !optionalString(parsed.documentType) ||
    !optionalString(parsed.documentCategory) ||
    !optionalString(parsed.documentId)
  ) {
    throw new WebCryptoError('INTEGRITY', 'The record header could not be decoded.');
  }
  /** @type {RecordHeader} */
  const header = {
    fileName: parsed.fileName,
    contentType: parsed.contentType,
    size: parsed.size,
    uploader: parsed.uploader,
  };
  for (const name of /** @type {const} */ (['sha1', 'documentType', 'documentCategory', 'documentId'])) {
    if (parsed[name] !== undefined) header[name] = parsed[name];
  }
  return header;
}

/**
 * The binary fields of a SealedRecord answer; MALFORMED when one is not what the API writes.
 * @param {any} sealed
 */
function parseSealed(sealed) {
  if (sealed === null || typeof sealed !== 'object' || sealed.signer === null || typeof sealed.signer !== 'object') {
    throw new WebCryptoError('MALFORMED', 'Not a sealed record.');
  }
  const added = sealed.addedKeyEnvelopes ?? [];
  if (!Array.isArray(added)) throw new WebCryptoError('MALFORMED', 'Not a sealed record.');
  return {
    chain: String(sealed.chain),
    recordId: fromHex0x(sealed.recordId, RECORD_ID_BYTES),
    patientKey: fromHex0x(sealed.patientKey, 32),
    contentSha256: fromHex0x(sealed.contentSha256, SHA256_BYTES),
    sealedHeader: fromBase64(sealed.sealedHeader),
    keyEnvelope: fromBase64(sealed.keyEnvelope),
    addedKeyEnvelopes: added.map((envelope) => fromBase64(envelope)),
    signature: fromHex0x(sealed.signature, SIGNATURE_BYTES),
    signerKind: sealed.signer.kind,
    signerKeyId: fromHex0x(sealed.signer.keyId, SHA256_BYTES),
    signerPublicKey: fromHex0x(sealed.signer.publicKey, P256_PUBLIC_KEY_BYTES),
  };
}

/**
 * Spec §3: the signature must verify under the key the answer names, with signerKeyId = SHA-256 of
 * that key, and that key must be one this reader trusts: for a patient-signed record the
 * patient's own signing key, current or former; for a service-signed one a key in `trustedServiceKeys` when given,
 * else the key in the answer (which then only proves the record is intact as the service signed
 * it). BAD_SIGNATURE otherwise.
 * @param {ReturnType<typeof parseSealed>} fields
 * @param {ReaderKeys} keys
 * @param {OpenOptions} options
 */
async function verifySignature(fields, keys, options) {
  const bad = () => new WebCryptoError('BAD_SIGNATURE', 'The record signature does not verify.');
  if (!bytesEqual(fields.signerKeyId, await sha256(fields.signerPublicKey))) throw bad();
  if (fields.signerKind === 'patient') {
    // The patient's current key, or one they replaced: their uploads from before still name it.
    const own = [...(keys.signing ? [keys.signing.publicKey] : []), ...(keys.formerSigningPublicKeys ?? [])];
    if (!own.some((key) => bytesEqual(fields.signerPublicKey, key))) throw bad();
  } else if (fields.signerKind === 'service') {
    const trusted = options.trustedServiceKeys;
    if (trusted && !trusted.some((key) => bytesEqual(key, fields.signerPublicKey))) throw bad();
  } else {
    throw bad();
  }
  let payload;
  try {
    payload = await recordSigningPayload(fields);
  } catch {
    throw bad();
  }
  let verified = false;
  try {
    verified = await verifyRecordSignature(fields.signerPublicKey, payload, fields.signature);
  } catch {
    verified = false;
  }
  if (!verified) throw bad();
}

/**
 * The record's data key and opened header, from its own envelope then the added ones. A key
 * counts only if it opens the signed header. NO_SLOT when no envelope has a slot for this key
 * pair; INTEGRITY when one had, but its key does not open the header.
 * @param {ReturnType<typeof parseSealed>} fields
 * @param {P256KeyPair} recipient
 */
async function unsealHeader(fields, recipient) {
  const aad = recordAad(fields.patientKey, fields.recordId);
  /** @type {Uint8Array | null} */
  let headerBytes = null;
  const { dataKey, rejected } = await searchDataKey(
    [fields.keyEnvelope, ...fields.addedKeyEnvelopes],
    recipient,
    aad,
    async (candidate) => {
      headerBytes = await openPart(candidate, fields.sealedHeader, HEADER_PART, aad);
    },
  );
  if (dataKey === null || headerBytes === null) {
    if (rejected > 0) throw new WebCryptoError('INTEGRITY', 'No key of this record opens its header.');
    throw new WebCryptoError('NO_SLOT', 'The record is not sealed to this key.');
  }
  return { aad, dataKey, header: decodeRecordHeader(headerBytes) };
}

/**
 * unsealHeader with the reader's own key, then each of its epoch keys: one signature check and one
 * content digest whatever key opens the record. NO_SLOT when none has a slot; INTEGRITY when one
 * had but none opened the header.
 * @param {ReturnType<typeof parseSealed>} fields
 * @param {ReaderKeys} keys
 */
async function unsealWithAnyKey(fields, keys) {
  let integrity = null;
  for (const recipient of [keys.encryption, ...(keys.epochKeys ?? [])]) {
    try {
      return await unsealHeader(fields, recipient);
    } catch (error) {
      if (!(error instanceof WebCryptoError)) throw error;
      if (error.code === 'INTEGRITY') integrity = error;
      else if (error.code !== 'NO_SLOT') throw error;
    }
  }
  throw integrity ?? new WebCryptoError('NO_SLOT', 'The record is not sealed to this key.');
}

/**
 * A SealedRecord with its `content` — the ciphertext bytes of GET …/sealed-records/{recordId}/content
 * (a base64 string is accepted too) — verified and opened: signature
 * (BAD_SIGNATURE), content against contentSha256 and contentLength (INTEGRITY), data key (NO_SLOT
 * or INTEGRITY), header and file (INTEGRITY), header.size against the file (INTEGRITY).
 * @param {any} sealed the SealedRecord JSON
 * @param {ReaderKeys} keys the patient's keys (the encryption pair opens; the signing public key
 *   recognises the patient's own uploads)
 * @param {OpenOptions} [options]
 * @returns {Promise<{ header: RecordHeader, bytes: Uint8Array }>}
 */
export async function openSealedRecord(sealed, keys, options = {}) {
  const fields = parseSealed(sealed);
  await verifySignature(fields, keys, options);
  const content = sealed.content instanceof Uint8Array ? sealed.content : fromBase64(sealed.content);
  if (content.length !== sealed.contentLength || !bytesEqual(await sha256(content), fields.contentSha256)) {
    throw new WebCryptoError('INTEGRITY', 'The content does not match its signed hash.');
  }
  const { aad, dataKey, header } = await unsealWithAnyKey(fields, keys);
  let bytes;
  try {
    bytes = await openPart(dataKey, content, CONTENT_PART, aad);
  } catch {
    throw new WebCryptoError('INTEGRITY', 'The content does not open under the record key.');
  } finally {
    dataKey.fill(0);
  }
  if (bytes.length !== header.size) throw new WebCryptoError('INTEGRITY', 'The content size differs from its header.');
  return { header, bytes };
}

/**
 * The header of a SealedRecord without content (a list item), verified as openSealedRecord does
 * except for the content itself.
 * @param {any} sealed
 * @param {ReaderKeys} keys
 * @param {OpenOptions} [options]
 */
export async function openSealedHeader(sealed, keys, options = {}) {
  const fields = parseSealed(sealed);
  await verifySignature(fields, keys, options);
  const { dataKey, header } = await unsealWithAnyKey(fields, keys);
  dataKey.fill(0);
  return header;
}

/**
 * The fields of POST /patients/{id}/sealed-records, as bytes (the client encodes them):
 * header { fileName, contentType, size, uploader, sha1 } as part 0, the file as part 1, the data
 * key sealed to `recipients` (exactly GET …/recipients' list, patient first), one patient
 * signature per chain in `chains` over payload v2.
 * @param {{ bytes: Uint8Array, fileName: string, contentType: string, sha1Hex?: string, patientId: string,
 *   patientKey: Uint8Array, recordId?: Uint8Array, chains: readonly string[], recipients: readonly Uint8Array[],
 *   signingKey: CryptoKey, uploader?: string }} input
 */
export async function buildSealedUpload({
  bytes,
  fileName,
  contentType,
  sha1Hex,
  patientId,
  patientKey,
  recordId = randomBytes(RECORD_ID_BYTES),
  chains,
  recipients,
  signingKey,
  uploader = patientId,
}) {
  if (!ArrayBuffer.isView(bytes)) throw new WebCryptoError('MALFORMED', 'The file must be bytes.');
  if (chains.length < 1) throw new WebCryptoError('MALFORMED', 'A record is uploaded to at least one chain.');
  const sha1 =
    sha1Hex === undefined
      ? bytesToHex(new Uint8Array(await subtle.digest('SHA-1', buf(bytes))))
      : sha1Hex.toLowerCase();
  if (!SHA1_HEX.test(sha1)) throw new WebCryptoError('MALFORMED', 'sha1Hex must be 40 hex digits.');
  const aad = recordAad(patientKey, recordId);
  const dataKey = generateDataKey();
  try {
    const keyEnvelope = await sealDataKey(dataKey, recipients, aad);
    const header = encodeRecordHeader({ fileName, contentType, size: bytes.length, uploader, sha1 });
    const sealedHeader = await sealPart(dataKey, header, HEADER_PART, aad);
    const content = await sealPart(dataKey, bytes, CONTENT_PART, aad);
    const contentSha256 = await sha256(content);
    /** @type {Record<string, Uint8Array>} */
    const signatures = {};
    for (const chain of chains) {
      const payload = await recordSigningPayload({
        chain,
        patientKey,
        recordId,
        contentSha256,
        sealedHeader,
        keyEnvelope,
      });
      signatures[chain] = await signRecord(signingKey, payload);
    }
    return { recordId, sealedHeader, keyEnvelope, content, signatures };
  } finally {
    dataKey.fill(0);
  }
}
