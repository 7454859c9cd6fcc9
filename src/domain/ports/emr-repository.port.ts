import { ChainName } from '../chain-name';
import { LedgerRecord, NewLedgerRecord } from '../emr-record';
import { RecordId } from '../record-id';

export interface LedgerHealth {
  readonly status: 'up' | 'down';
  readonly chainId: number | null;
  readonly blockNumber: number | null;
}

export interface ListQuery {
  /** 1..100 */
  readonly limit: number;
  /** Return only versions strictly below this one (cursor paging, newest first). */
  readonly beforeVersion?: number;
}

/**
 * One ledger's append-only store of records. One instance serves one ledger; see
 * {@link Ledgers} for the set. Failures to reach the ledger raise ChainUnavailableError.
 */
export abstract class EmrRepository {
  abstract readonly chain: ChainName;

  /**
   * Appends a record as the next version of the patient's history. Never overwrites:
   * a record id already on this ledger is refused. Resolves once the record is committed.
   */
  abstract append(record: NewLedgerRecord): Promise<LedgerRecord>;

  /** The patient's records, newest first. */
  abstract list(patientKey: Uint8Array, query: ListQuery): Promise<LedgerRecord[]>;

  abstract latest(patientKey: Uint8Array): Promise<LedgerRecord | null>;

  /** The record, or null when it does not exist or belongs to another patient. */
  abstract findById(patientKey: Uint8Array, recordId: RecordId): Promise<LedgerRecord | null>;

  /**
   * The records with `transactions` filled in as `append` reported them (the ledger's own
   * record of which transactions wrote each). Reads leave it out for speed; list and metadata
   * ask for it. A ledger without transactions returns the records as they are.
   */
  async withTransactions(records: readonly LedgerRecord[]): Promise<LedgerRecord[]> {
    return [...records];
  }

  /** The content ciphertext, exactly as appended. */
  abstract readContent(record: LedgerRecord): Promise<Uint8Array>;

  abstract health(): Promise<LedgerHealth>;
}
