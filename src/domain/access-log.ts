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
  /** HPKE-sealed (to the patient) UTF-8 reason; empty when none was given. */
  readonly sealedReason: Uint8Array;
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
  readonly at: string;
}
