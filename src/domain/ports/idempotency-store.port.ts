import { ChainName } from '../chain-name';
import { RecordId } from '../record-id';

/** How long a retry under the same Idempotency-Key gets the same answer (the README promises 24 hours). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** One requested ledger's copy, as the answer reported it. */
export type ReplicaReceipt =
  | {
      readonly status: 'committed';
      readonly version: number;
      readonly transactions: readonly string[];
      readonly blockNumber: number | null;
    }
  | { readonly status: 'pending' };

/**
 * What an answered upload showed beyond the request itself: facts the ledgers publish
 * anyway (keyed by pseudonym), nothing sealed, nothing that names a patient or a file.
 */
export interface UploadReceipt {
  /** The ledger whose copy the answer's metadata describes. */
  readonly chain: ChainName;
  readonly createdAt: Date;
  readonly contentSha256: Uint8Array;
  readonly replicas: Partial<Record<ChainName, ReplicaReceipt>>;
}

/**
 * What is kept under an Idempotency-Key. It holds no patient id, file name or content:
 * a retry carries the same request (same fingerprint), so the answer is rebuilt from
 * the request and the receipt, or from the ledgers.
 */
export interface IdempotencyEntry {
  /** Digest of the request: another request under the same key is a conflict. */
  readonly fingerprint: string;
  /** Chosen before the first ledger write, so that a retry can look for it on the ledgers. */
  readonly recordId: RecordId;
  readonly chains: readonly ChainName[];
  /**
   * null for a pending marker: the attempt has not answered, and may still have committed
   * (a ledger that answered after LEDGER_TIMEOUT_MS).
   */
  readonly receipt: UploadReceipt | null;
  /** When the first attempt under the key began; the window runs from here. */
  readonly storedAt: Date;
}

export abstract class IdempotencyStore {
  /** The entry under `key` (expired or not: the caller judges), or null. */
  abstract find(key: string): Promise<IdempotencyEntry | null>;

  /** Resolves once the entry is on stable storage: a pending marker must survive a crash. */
  abstract save(key: string, entry: IdempotencyEntry): Promise<void>;

  /** Forgets every entry stored before `cutoff`; resolves to how many were removed. */
  abstract sweep(cutoff: Date): Promise<number>;
}
