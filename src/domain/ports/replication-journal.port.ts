import { ChainName } from '../chain-name';
import { NewLedgerRecord } from '../emr-record';
import { RecordId } from '../record-id';

/** A copy of a record still owed to a ledger (it was down when the record was accepted). */
export interface PendingReplica {
  readonly chain: ChainName;
  /** Fully sealed and signed for `chain`: no plaintext, nothing left to compute. */
  readonly record: NewLedgerRecord;
  readonly queuedAt: Date;
}

/** A record written with `chain=both`, remembered so repair can check both copies exist. */
export interface ReplicatedRecordRef {
  readonly patientKey: Uint8Array;
  readonly recordId: RecordId;
}

/**
 * Durable memory of replication. `add` resolves only once the replica is on stable
 * storage (fsync'd), so a 202 can be answered after it and survive a crash.
 */
export abstract class ReplicationJournal {
  abstract add(replica: PendingReplica): Promise<void>;

  abstract pending(): Promise<PendingReplica[]>;

  abstract remove(chain: ChainName, recordId: RecordId): Promise<void>;

  /** Notes that a record was written with `both` (for repair). */
  abstract noteReplicated(ref: ReplicatedRecordRef): Promise<void>;

  abstract replicated(): Promise<ReplicatedRecordRef[]>;
}
