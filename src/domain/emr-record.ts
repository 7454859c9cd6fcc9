import { ChainName } from './chain-name';
import { RecordId } from './record-id';

/** Pseudonymous patient key as the ledgers see it: HMAC-SHA256(secret, patientId), 32 bytes. */
export const PATIENT_KEY_BYTES = 32;
export const SHA256_BYTES = 32;

/**
 * What the service hands a ledger to append. Nothing here is PHI in the clear:
 * the patient is a keyed pseudonym, file name and type travel inside `sealedHeader`,
 * the file bytes inside `content` (AEAD ciphertext).
 */
export interface NewLedgerRecord {
  readonly recordId: RecordId;
  readonly patientKey: Uint8Array;
  /** AEAD ciphertext of the file bytes under the record's data key. */
  readonly content: Uint8Array;
  /** SHA-256 of `content`. */
  readonly contentSha256: Uint8Array;
  /** AEAD ciphertext of the encoded {@link RecordHeader} under the record's data key. */
  readonly sealedHeader: Uint8Array;
  /** The record's data key, HPKE-sealed to each recipient (see the Cipher port). */
  readonly keyEnvelope: Uint8Array;
  /** ECDSA P-256 signature (64-byte r||s) over {@link recordSigningPayload}. */
  readonly signature: Uint8Array;
  /** Identifies the key that made `signature` (SHA-256 of its SEC1 public key). */
  readonly signerKeyId: Uint8Array;
}

/** A record as a ledger holds it, without the (possibly large) content bytes. */
export interface LedgerRecord extends Omit<NewLedgerRecord, 'content'> {
  readonly chain: ChainName;
  /** 1-based position in the patient's history on this ledger; never reused. */
  readonly version: number;
  readonly contentLength: number;
  /** Where the content ciphertext lives on the ledger (adapter-specific, e.g. chunk addresses). */
  readonly contentLocation: readonly string[];
  readonly createdAt: Date;
  /** The ledger account that wrote the record. */
  readonly writer: string;
  /** Transaction hashes that wrote the record (empty for the in-memory ledger). */
  readonly transactions: readonly string[];
  readonly blockNumber: number | null;
}

/** The written fields every record carries (all but the content), copied: never shared with a caller's buffers. */
export function copyWrittenFields(record: Omit<NewLedgerRecord, 'content'>): Omit<NewLedgerRecord, 'content'> {
  return {
    recordId: RecordId.fromBytes(record.recordId.bytes),
    patientKey: Uint8Array.from(record.patientKey),
    contentSha256: Uint8Array.from(record.contentSha256),
    sealedHeader: Uint8Array.from(record.sealedHeader),
    keyEnvelope: Uint8Array.from(record.keyEnvelope),
    signature: Uint8Array.from(record.signature),
    signerKeyId: Uint8Array.from(record.signerKeyId),
  };
}

/** What every adapter's `append` puts into the LedgerRecord it returns from the record written. */
export function storedFieldsOf(
  record: NewLedgerRecord,
): Omit<
  LedgerRecord,
  'chain' | 'version' | 'contentLocation' | 'createdAt' | 'writer' | 'transactions' | 'blockNumber'
> {
  return { ...copyWrittenFields(record), contentLength: record.content.length };
}

/** Sealed inside the record: what only a key holder may learn. */
export interface RecordHeader {
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  readonly uploader: string;
  /** SHA-1 of the plaintext (what FHIR's `Attachment.hash` shows); absent in records stored before it was kept. */
  readonly sha1?: Uint8Array;
  /** FHIR document classification given at upload (`system|code` tokens), when the uploader sent one. */
  readonly documentType?: string;
  readonly documentCategory?: string;
  /** The document's unique id as its source gave it (FHIR masterIdentifier, `system|value`), when it did. */
  readonly documentId?: string;
}

export const SHA1_BYTES = 20;

/** What API clients see of a record. */
export interface RecordMetadata {
  readonly recordId: string;
  readonly patientId: string;
  readonly chain: ChainName;
  readonly version: number;
  readonly contentType: string;
  readonly fileName: string;
  readonly size: number;
  readonly ciphertextSha256: string;
  readonly createdAt: string;
  readonly uploader: string;
  readonly transactions: readonly string[];
  readonly blockNumber: number | null;
}
