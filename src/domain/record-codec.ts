import { bytesToHex, concatBytes, fromUtf8, hexToBytes, lengthPrefixed, utf8 } from './bytes';
import { ChainName } from './chain-name';
import { IntegrityCheckFailedError } from './errors';
import { displayFileName } from './file-name';
import { LedgerRecord, RecordHeader, RecordMetadata, SHA1_BYTES } from './emr-record';
import { PatientId } from './patient-id';
import { RecordId } from './record-id';

const SIGNING_DOMAIN_V1 = utf8('patient-centric-emr/record-signature/v1');
const SIGNING_DOMAIN_V2 = utf8('patient-centric-emr/record-signature/v2');
const AAD_DOMAIN = utf8('patient-centric-emr/record/v1');
/** First byte of a v2 key envelope; only its records sign payload v2. */
const KEY_ENVELOPE_V2 = 0x02;

/** What a record signature covers, besides the ledger it is signed for. */
export interface SignedRecordFields {
  readonly patientKey: Uint8Array;
  readonly recordId: RecordId;
  readonly contentSha256: Uint8Array;
  readonly sealedHeader: Uint8Array;
}

/**
 * Bytes an uploader signs. Layout (each field length-prefixed, u32 BE):
 *   v1: domain tag …/v1 | chain | patientKey (32) | recordId (32) | contentSha256 (32) | sealedHeader
 *   v2: domain tag …/v2 | chain | patientKey (32) | recordId (32) | contentSha256 (32) | sealedHeader
 *       | SHA-256(keyEnvelope) (32)
 * `keyEnvelopeSha256` null gives v1 (records whose envelope is v1), else v2. The chain is inside, so
 * a copy replayed onto the other ledger fails verification unless it was signed for that ledger too.
 * v2 covers the envelope: a v2 slot names no recipient, so only the signature stops a ledger writer
 * from swapping in an envelope that seals another data key to the same readers.
 */
export function recordSigningPayload(
  fields: SignedRecordFields & { chain: ChainName; keyEnvelopeSha256: Uint8Array | null },
): Uint8Array {
  const common = [
    lengthPrefixed(utf8(fields.chain)),
    lengthPrefixed(fields.patientKey),
    lengthPrefixed(fields.recordId.bytes),
    lengthPrefixed(fields.contentSha256),
    lengthPrefixed(fields.sealedHeader),
  ];
  if (fields.keyEnvelopeSha256 === null) return concatBytes(lengthPrefixed(SIGNING_DOMAIN_V1), ...common);
  return concatBytes(lengthPrefixed(SIGNING_DOMAIN_V2), ...common, lengthPrefixed(fields.keyEnvelopeSha256));
}

/** A key envelope's format version: its first byte (0 for an empty envelope, which no version has). */
export function envelopeVersion(keyEnvelope: Uint8Array): number {
  return keyEnvelope.length > 0 ? keyEnvelope[0] : 0;
}

/**
 * The payload a record's signature on `chain` covers, chosen by the record's own key envelope:
 * v2 for a v2 envelope, v1 otherwise (as the page's module chooses). `sha256` is the Hasher's.
 */
export function recordSigningPayloadFor(
  chain: ChainName,
  record: SignedRecordFields & { readonly keyEnvelope: Uint8Array },
  sha256: (data: Uint8Array) => Uint8Array,
): Uint8Array {
  const { patientKey, recordId, contentSha256, sealedHeader, keyEnvelope } = record;
  const keyEnvelopeSha256 = envelopeVersion(keyEnvelope) === KEY_ENVELOPE_V2 ? sha256(keyEnvelope) : null;
  return recordSigningPayload({ chain, patientKey, recordId, contentSha256, sealedHeader, keyEnvelopeSha256 });
}

/**
 * Associated data for every AEAD under a record's data key: binds the ciphertext to its
 * patient and record (not to the ledger, so a replica on the other ledger is byte-identical).
 *   domain tag | patientKey (32) | recordId (32), each length-prefixed
 */
export function recordAad(patientKey: Uint8Array, recordId: RecordId): Uint8Array {
  return concatBytes(lengthPrefixed(AAD_DOMAIN), lengthPrefixed(patientKey), lengthPrefixed(recordId.bytes));
}

const SHA1_HEX = new RegExp(`^[0-9a-f]{${SHA1_BYTES * 2}}$`);

/**
 * The header sealed inside a record, UTF-8 JSON:
 *   { fileName, contentType, size, uploader[, sha1 (40 lowercase hex)][, documentType][, documentCategory][, documentId] }
 * The optional fields are left out when absent, so a header without them encodes as before.
 */
export function encodeHeader(header: RecordHeader): Uint8Array {
  return utf8(
    JSON.stringify({
      fileName: header.fileName,
      contentType: header.contentType,
      size: header.size,
      uploader: header.uploader,
      ...(header.sha1 ? { sha1: bytesToHex(header.sha1) } : {}),
      ...(header.documentType !== undefined ? { documentType: header.documentType } : {}),
      ...(header.documentCategory !== undefined ? { documentCategory: header.documentCategory } : {}),
      ...(header.documentId !== undefined ? { documentId: header.documentId } : {}),
    }),
  );
}

/** Decodes {@link encodeHeader}'s layout; older headers simply lack the optional fields. */
export function decodeHeader(bytes: Uint8Array): RecordHeader {
  try {
    const parsed = JSON.parse(fromUtf8(bytes)) as Record<string, unknown>;
    const { fileName, contentType, size, uploader, sha1, documentType, documentCategory, documentId } = parsed;
    if (
      typeof fileName === 'string' &&
      typeof contentType === 'string' &&
      typeof size === 'number' &&
      typeof uploader === 'string' &&
      (sha1 === undefined || (typeof sha1 === 'string' && SHA1_HEX.test(sha1))) &&
      (documentType === undefined || typeof documentType === 'string') &&
      (documentCategory === undefined || typeof documentCategory === 'string') &&
      (documentId === undefined || typeof documentId === 'string')
    ) {
      return {
        fileName,
        contentType,
        size,
        uploader,
        ...(sha1 !== undefined ? { sha1: hexToBytes(sha1) } : {}),
        ...(documentType !== undefined ? { documentType } : {}),
        ...(documentCategory !== undefined ? { documentCategory } : {}),
        ...(documentId !== undefined ? { documentId } : {}),
      };
    }
  } catch {
    // fall through: an unreadable header is an integrity failure
  }
  throw new IntegrityCheckFailedError('The record header could not be decoded.');
}

/** What of a ledger's record the metadata shows (an idempotent replay has only this much). */
export type MetadataSource = Pick<
  LedgerRecord,
  'recordId' | 'chain' | 'version' | 'contentSha256' | 'createdAt' | 'transactions' | 'blockNumber'
>;

export function toMetadata(patientId: PatientId, record: MetadataSource, header: RecordHeader): RecordMetadata {
  return {
    recordId: record.recordId.hex,
    patientId: patientId.value,
    chain: record.chain,
    version: record.version,
    contentType: header.contentType,
    // Cleaned again on the way out: a ledger may hold a name older code stored unclean.
    fileName: displayFileName(header.fileName, header.contentType),
    size: header.size,
    ciphertextSha256: `0x${bytesToHex(record.contentSha256)}`,
    createdAt: record.createdAt.toISOString(),
    uploader: header.uploader,
    transactions: record.transactions,
    blockNumber: record.blockNumber,
  };
}

/**
 * A small message sealed to one recipient with the Cipher: the key envelope and the
 * ciphertext of part 0, each length-prefixed (u32 BE):
 *   len | keyEnvelope | len | ciphertext
 */
export function encodeSealedNote(keyEnvelope: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return concatBytes(lengthPrefixed(keyEnvelope), lengthPrefixed(ciphertext));
}

export function decodeSealedNote(bytes: Uint8Array): { keyEnvelope: Uint8Array; ciphertext: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (offset: number): [Uint8Array, number] => {
    if (offset + 4 > bytes.length) throw new IntegrityCheckFailedError('A sealed note is truncated.');
    const length = view.getUint32(offset, false);
    const end = offset + 4 + length;
    if (end > bytes.length) throw new IntegrityCheckFailedError('A sealed note is truncated.');
    return [bytes.subarray(offset + 4, end), end];
  };
  const [keyEnvelope, next] = read(0);
  const [ciphertext, end] = read(next);
  if (end !== bytes.length) throw new IntegrityCheckFailedError('A sealed note has trailing bytes.');
  return { keyEnvelope, ciphertext };
}
