import { ChainName } from './chain-name';
import { RecordId } from './record-id';

export const MAX_BREAK_GLASS_REASON_CHARS = 500;

/** Why a non-patient read happened. */
export type AccessKind = 'own-upload' | 'consent' | 'emergency';

/**
 * One read of a patient's record by someone other than the patient, as the ledger keeps
 * it: the reader is a pseudonym, the reason is sealed to the patient's key.
 */
export interface LedgerAccessEntry {
  readonly patientKey: Uint8Array;
  readonly accessorKey: Uint8Array;
  /** Null when the reader listed the history rather than one record. */
  readonly recordId: RecordId | null;
  readonly kind: AccessKind;
  readonly at: Date;
  /**
   * Sealed to the patient's key (see encodeSealedNote): who read, in what role, and the
   * emergency reason if any. The ledger sees only the accessor's pseudonym.
   */
  readonly sealedNote: Uint8Array;
}

/** The part of an access-log entry only the patient can read. */
export interface AccessNote {
  readonly accessorId: string;
  readonly accessorRole: string;
  readonly reason: string | null;
  /** Reads this entry stands for (own-record reads collapsed within a window); absent: 1. */
  readonly count?: number;
}

/** What the patient sees. */
export interface AccessLogEntry {
  readonly accessorId: string;
  readonly accessorRole: string;
  readonly chain: ChainName;
  readonly recordId: string | null;
  readonly kind: AccessKind;
  readonly emergency: boolean;
  readonly reason: string | null;
  /** When the (first) read happened. */
  readonly at: string;
  /** How many reads this entry stands for: repeated own-record reads are collapsed, others are 1. */
  readonly count: number;
}
