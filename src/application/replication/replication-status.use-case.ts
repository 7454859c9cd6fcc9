import { CHAIN_NAMES, ChainName } from '../../domain/chain-name';
import { LedgerRecord, storedFieldsOf } from '../../domain/emr-record';
import { ChainUnavailableError, ConsentRequiredError, RecordNotFoundError } from '../../domain/errors';
import { bytesEqual } from '../../domain/bytes';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { PendingReplica, ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { Principal } from '../../domain/principal';
import { RecordId } from '../../domain/record-id';
import { PatientAccess, ReadScope } from '../access/patient-access';

export type CopyState = 'committed' | 'pending' | 'absent' | 'unreachable';

export interface ReplicationStatus {
  readonly recordId: string;
  readonly complete: boolean;
  readonly chains: Partial<Record<ChainName, CopyState>>;
}

/**
 * Where the copies of a record are: the status URL a 202 upload points to. A copy only counts
 * (committed or pending) when it is the patient's in the URL and the reader may read it.
 */
export class ReplicationStatusUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly journal: ReplicationJournal,
  ) {}

  async execute(input: { actor: Principal; patientId: string; recordId: string }): Promise<ReplicationStatus> {
    const patientId = PatientId.parse(input.patientId);
    const recordId = RecordId.parse(input.recordId);
    const pending = new Set(await this.journal.pendingChains(recordId));
    const chains: Partial<Record<ChainName, CopyState>> = {};
    let scope: ReadScope | null = null;
    let readable = false;
    let found = false;
    for (const chain of CHAIN_NAMES) {
      let record: LedgerRecord | null = null;
      try {
        scope = await this.access.readScope(input.actor, patientId, chain, undefined);
        record = await this.ledgers.get(chain).findById(scope.patientKey, recordId);
        if (record) {
          found = true;
          readable ||= await this.mayKnowOf(scope, record);
        }
        chains[chain] = record ? 'committed' : pending.has(chain) ? 'pending' : 'absent';
      } catch (error) {
        if (!(error instanceof ChainUnavailableError)) throw error;
        chains[chain] = pending.has(chain) ? 'pending' : 'unreachable';
      }
    }
    if (!found && pending.size > 0) {
      // No ledger vouches for the record: the owed copy itself must be this patient's and readable.
      if (scope === null) throw new ChainUnavailableError('No ledger answered; retry later.');
      const owed = await this.owedCopy(recordId, [...pending]);
      const ours = owed !== null && bytesEqual(owed.record.patientKey, scope.patientKey);
      if (!ours) throw new RecordNotFoundError('No record with this id for this patient.');
      readable = await this.mayKnowOf(scope, asLedgerRecord(owed));
      found = true;
    }
    if (!found) throw new RecordNotFoundError('No record with this id for this patient.');
    if (!readable) throw new ConsentRequiredError("The patient's consent is required to see this record.");
    return { recordId: recordId.hex, complete: Object.values(chains).every((state) => state === 'committed'), chains };
  }

  /** The patient knows of all their records; a provider of those it may read. */
  private async mayKnowOf(scope: ReadScope, record: LedgerRecord): Promise<boolean> {
    return scope.wholeRecordKind === 'patient' || (await this.access.recordAccess(scope, record)) !== null;
  }

  private async owedCopy(recordId: RecordId, chains: readonly ChainName[]): Promise<PendingReplica | null> {
    for (const chain of chains) {
      const replica = await this.journal.load({ chain, recordId });
      if (replica) return replica;
    }
    return null;
  }
}

/** The owed copy in the shape the access rules read (recipients come from its key envelope). */
function asLedgerRecord(replica: PendingReplica): LedgerRecord {
  return {
    ...storedFieldsOf(replica.record),
    chain: replica.chain,
    version: 0,
    contentLocation: [],
    createdAt: replica.queuedAt,
    writer: '',
    transactions: [],
    blockNumber: null,
  };
}
