import { LedgerAccessEntry } from '../access-log';
import { bytesToHex } from '../bytes';
import { ChainName } from '../chain-name';
import { LedgerConsent } from '../consent';
import { ConsentDomain } from '../consent-message';
import { ConsentSignatureInvalidError, ValidationFailedError } from '../errors';
import { RecordId } from '../record-id';

/** Largest added key envelope (PatientAccessRegistry.MAX_KEY_ENVELOPE_BYTES), bytes. */
export const MAX_KEY_ENVELOPE_BYTES = 4096;
/** Most envelopes one record may be given on a ledger (PatientAccessRegistry.MAX_RECORD_KEYS). */
export const MAX_RECORD_KEYS = 32;
const PATIENT_KEY_BYTES = 32;

export interface AccessLogQuery {
  /** 1..100 */
  readonly limit: number;
  /** Return only entries with a position strictly below this one (newest first). */
  readonly beforePosition?: number;
  /** Only emergency (break-glass) entries, through the ledger's own index: O(page), never a scan. */
  readonly emergencyOnly?: boolean;
}

export interface PositionedAccessEntry extends LedgerAccessEntry {
  /** 1-based position in the patient's access log on this ledger. */
  readonly position: number;
}

/**
 * A further key envelope for a record (a re-wrap of its data key, normally to one more recipient).
 * It is not covered by the record's signature: a reader trusts the data key it yields only when
 * that key opens the record's signed sealed header.
 */
export interface RecordKeyEntry {
  /** The patient's pseudonym, 32 bytes. */
  readonly patientKey: Uint8Array;
  readonly recordId: RecordId;
  /** 1..MAX_KEY_ENVELOPE_BYTES bytes; a v2 envelope, which names no one. */
  readonly keyEnvelope: Uint8Array;
}

/**
 * The checks every adapter makes before writing anything: a batch that is empty, holds an envelope
 * that is empty or too long, or gives one record more than MAX_RECORD_KEYS envelopes by itself.
 * How many envelopes a record already holds is for the adapter (the ledger) to check.
 */
export function checkRecordKeyEntries(entries: readonly RecordKeyEntry[]): void {
  if (entries.length === 0) throw new ValidationFailedError('No record keys to add.', 'entries');
  const perRecord = new Map<string, number>();
  entries.forEach((entry, index) => {
    checkPatientKey(entry.patientKey);
    const length = entry.keyEnvelope.length;
    if (length === 0 || length > MAX_KEY_ENVELOPE_BYTES) {
      throw new ValidationFailedError(
        `keyEnvelope must be 1 to ${MAX_KEY_ENVELOPE_BYTES} bytes (entry ${index} has ${length}).`,
        'keyEnvelope',
      );
    }
    const record = recordKeysSlot(entry.patientKey, entry.recordId);
    const count = (perRecord.get(record) ?? 0) + 1;
    if (count > MAX_RECORD_KEYS) throw tooManyRecordKeys();
    perRecord.set(record, count);
  });
}

/** A patient key must be a 32-byte pseudonym (the ledgers key everything by bytes32). */
export function checkPatientKey(patientKey: Uint8Array): void {
  if (patientKey.length !== PATIENT_KEY_BYTES) {
    throw new ValidationFailedError(`patientKey must be ${PATIENT_KEY_BYTES} bytes.`, 'patientKey');
  }
}

/** The refusal of an envelope beyond a record's MAX_RECORD_KEYS, the same from every adapter. */
export function tooManyRecordKeys(): ValidationFailedError {
  return new ValidationFailedError(
    `A record may be given at most ${MAX_RECORD_KEYS} added key envelopes on a ledger.`,
    'keyEnvelope',
  );
}

/** One string per (patient, record): the unit the envelope lists and their cap belong to. */
export function recordKeysSlot(patientKey: Uint8Array, recordId: RecordId): string {
  return `${bytesToHex(patientKey)}/${recordId.hex}`;
}

/** A consent change's signature as the patient made it for one ledger (issue 14 spec, part A). */
export interface SignedChange {
  readonly nonce: bigint;
  /** 32 bytes each, low-S. */
  readonly r: Uint8Array;
  readonly s: Uint8Array;
}

/** An epoch's public half and its slots (the epoch private key sealed to one recipient each). */
export interface EpochData {
  /** SEC 1 uncompressed P-256, 65 bytes. */
  readonly publicKey: Uint8Array;
  readonly slots: Uint8Array[];
}

export interface Epoch extends EpochData {
  readonly index: number;
}

/** The current epoch without its slots (what a writer seals to). */
export interface EpochKey {
  readonly index: number;
  readonly publicKey: Uint8Array;
}

/** One signed consent change as the ledger recorded it, re-verifiable by anyone. */
export interface ConsentChange {
  readonly action: 'grant' | 'revoke';
  readonly providerKey: Uint8Array;
  readonly expiresAt: Date | null;
  readonly nonce: bigint;
  /** The exact message whose SHA-256 the signature covers. */
  readonly message: Uint8Array;
  readonly r: Uint8Array;
  readonly s: Uint8Array;
  readonly at: Date;
  /** The transaction hash; null on the in-memory ledger. */
  readonly transaction: string | null;
}

/**
 * The patient-centric half of a ledger: published public keys, consents, the access log and the
 * key envelopes added to records. Everyone appears by pseudonym only. One instance serves one ledger.
 */
export abstract class AccessLedger {
  abstract readonly chain: ChainName;

  /** Publishes (or rotates) the P-256 public key of a patient or provider. */
  abstract publishPublicKey(subjectKey: Uint8Array, publicKey: Uint8Array): Promise<void>;

  abstract publicKeyOf(subjectKey: Uint8Array): Promise<Uint8Array | null>;

  /** The chain id and registry address a signed consent change binds to on this ledger. */
  abstract consentDomain(): Promise<ConsentDomain>;

  /**
   * Registers the patient's signing key (65 bytes, SEC 1) and starts epoch 0 with its slots (the
   * patient's own first). Once per patient: KeysAlreadyRegisteredError after that.
   */
  abstract registerPatientKey(patientKey: Uint8Array, signingPublicKey: Uint8Array, epoch: EpochData): Promise<void>;

  /** The patient's registered signing key (65 bytes, 0x04 | x | y), or null. */
  abstract patientSigningKey(patientKey: Uint8Array): Promise<Uint8Array | null>;

  /** The nonce the patient's next signed change must carry. */
  abstract consentNonce(patientKey: Uint8Array): Promise<bigint>;

  /**
   * Grants (or re-grants, replacing the expiry) a provider's consent, signed by the patient, adding
   * `epochSlot` to the current epoch. ConsentSignatureInvalidError when the signature is refused
   * (with the reason), KeysNotRegisteredError without a signing key, ValidationFailedError for an
   * expiry in the past or a bad slot.
   */
  abstract grantConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    signed: SignedChange,
    epochSlot: Uint8Array,
  ): Promise<LedgerConsent>;

  /** What grantConsent would answer, without writing anything (a dry run before writing to every ledger). */
  abstract checkGrantConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    signed: SignedChange,
    epochSlot: Uint8Array,
  ): Promise<void>;

  /**
   * Revokes a consent, signed by the patient, and starts a new epoch; revoking one that is not in
   * force still starts the epoch. Refusals as grantConsent.
   */
  abstract revokeConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    signed: SignedChange,
    newEpoch: EpochData,
  ): Promise<void>;

  /** What revokeConsent would answer, without writing anything. */
  abstract checkRevokeConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    signed: SignedChange,
    newEpoch: EpochData,
  ): Promise<void>;

  /**
   * Replaces the patient's signing key (65 bytes, SEC 1) with a change signed by the current one
   * (action 3, dataHash = SHA-256(newX | newY)); spends the nonce. Refusals as grantConsent;
   * ValidationFailedError for a key that is not 65 bytes 0x04 | x | y with x, y non-zero.
   */
  abstract replacePatientKey(
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    signed: SignedChange,
  ): Promise<void>;

  /** What replacePatientKey would answer, without writing anything. */
  abstract checkReplacePatientKey(
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    signed: SignedChange,
  ): Promise<void>;

  /** Every epoch of the patient, oldest first, with slots checked against the hashes the ledger stores. */
  abstract epochs(patientKey: Uint8Array): Promise<Epoch[]>;

  /** The patient's current epoch (public key only), or null before key registration. */
  abstract currentEpoch(patientKey: Uint8Array): Promise<EpochKey | null>;

  /** The patient's signed grants and revocations, oldest first. */
  abstract consentHistory(patientKey: Uint8Array): Promise<ConsentChange[]>;

  /** The consent as the ledger holds it now, expired or not; null if none or revoked. */
  abstract consentFor(patientKey: Uint8Array, providerKey: Uint8Array): Promise<LedgerConsent | null>;

  /** Every consent of the patient not revoked (expired ones included). */
  abstract consentsOf(patientKey: Uint8Array): Promise<LedgerConsent[]>;

  /** Appends entries in one write where the ledger allows it. */
  abstract appendAccessLog(entries: readonly LedgerAccessEntry[]): Promise<void>;

  /** The patient's access log, newest first. */
  abstract accessLog(patientKey: Uint8Array, query: AccessLogQuery): Promise<PositionedAccessEntry[]>;

  /** How many emergency entries the patient's access log holds. */
  abstract emergencyCount(patientKey: Uint8Array): Promise<number>;

  /**
   * Stores further key envelopes for records (re-wraps); one ledger write for the whole batch.
   * ValidationFailedError for a batch checkRecordKeyEntries refuses (before any write) and for one
   * that would give a record more than MAX_RECORD_KEYS envelopes.
   */
  abstract addRecordKeys(entries: readonly RecordKeyEntry[]): Promise<void>;

  /** The envelopes added for this record on this ledger, oldest first (empty when none). */
  abstract recordKeysOf(patientKey: Uint8Array, recordId: RecordId): Promise<Uint8Array[]>;
}

/** Largest epoch slot (the contract's MAX_KEY_ENVELOPE_BYTES), bytes. */
export const MAX_EPOCH_SLOT_BYTES = MAX_KEY_ENVELOPE_BYTES;
const EPOCH_PUBLIC_KEY_BYTES = 65;
/** SEC 1 uncompressed P-256: 0x04 | x (32) | y (32). */
const SEC1_UNCOMPRESSED = 0x04;
const COORDINATE_BYTES = 32;

/** The refusal of a consent signature, the same words from every adapter: `reason` as the contract names it. */
export function consentRefused(chain: ChainName, reason: string): ConsentSignatureInvalidError {
  return new ConsentSignatureInvalidError(`${chain} refused the consent signature: ${reason}.`);
}

/**
 * The contract's rule for a signing key (BadSigningKey: x and y non-zero), in the port's form: 65
 * bytes, 0x04 | x | y.
 */
export function checkSigningPublicKey(signingPublicKey: Uint8Array): void {
  const x = signingPublicKey.subarray(1, 1 + COORDINATE_BYTES);
  const y = signingPublicKey.subarray(1 + COORDINATE_BYTES);
  if (
    signingPublicKey.length !== 1 + 2 * COORDINATE_BYTES ||
    signingPublicKey[0] !== SEC1_UNCOMPRESSED ||
    x.every((byte) => byte === 0) ||
    y.every((byte) => byte === 0)
  ) {
    throw new ValidationFailedError('signingPublicKey must be a SEC 1 uncompressed P-256 key.', 'signingPublicKey');
  }
}

/** The contract's slot rule (BadKeyEnvelope): 1..MAX_EPOCH_SLOT_BYTES bytes. */
export function checkEpochSlot(slot: Uint8Array, field = 'epochSlot'): void {
  if (slot.length === 0 || slot.length > MAX_EPOCH_SLOT_BYTES) {
    throw new ValidationFailedError(`An epoch slot must be 1 to ${MAX_EPOCH_SLOT_BYTES} bytes.`, field);
  }
}

/** The contract's epoch rules (BadEpochKey, NoEpochSlots, BadKeyEnvelope). */
export function checkEpochData(epoch: EpochData): void {
  if (epoch.publicKey.length !== EPOCH_PUBLIC_KEY_BYTES) {
    throw new ValidationFailedError(`An epoch public key must be ${EPOCH_PUBLIC_KEY_BYTES} bytes.`, 'epoch');
  }
  if (epoch.slots.length === 0) throw new ValidationFailedError('An epoch needs at least one slot.', 'epoch');
  for (const slot of epoch.slots) checkEpochSlot(slot, 'epoch');
}
