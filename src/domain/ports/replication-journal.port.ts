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

/** Names an owed copy without its (possibly large) content. */
export interface PendingReplicaRef {
  readonly chain: ChainName;
  readonly recordId: RecordId;
}

/** A record written with `chain=both`, remembered so repair can check both copies exist. */
export interface ReplicatedRecordRef {
  readonly patientKey: Uint8Array;
  readonly recordId: RecordId;
}

/**
 * Durable memory of replication. `add` resolves only once the replica is on stable
 * storage (fsync'd), so a 202 can be answered after it and survive a crash.
 *
 * During an outage the journal holds every owed copy's ciphertext, so only `load` reads
 * an entry's content: listing, counting and per-record lookups stay cheap (they back the
 * unauthenticated /health and the status URL).
 */
export abstract class ReplicationJournal {
  abstract add(replica: PendingReplica): Promise<void>;

  /** Every owed copy, oldest first, without content. */
  abstract pendingRefs(): Promise<PendingReplicaRef[]>;

  /** One owed copy in full, or null when it is no longer owed. */
  abstract load(ref: PendingReplicaRef): Promise<PendingReplica | null>;

  /** How many copies each ledger is owed. */
  abstract pendingCounts(): Promise<Record<ChainName, number>>;

  /** The ledgers still owed a copy of this record. */
  abstract pendingChains(recordId: RecordId): Promise<ChainName[]>;

  abstract remove(chain: ChainName, recordId: RecordId): Promise<void>;

  /** Notes that a record was written with `both` (for repair). */
  abstract noteReplicated(ref: ReplicatedRecordRef): Promise<void>;

  abstract replicated(): Promise<ReplicatedRecordRef[]>;
}
