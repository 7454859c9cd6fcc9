import { CHAIN_NAMES, ChainName } from '../domain/chain-name';
import { LedgerRecord } from '../domain/emr-record';
import { ChainUnavailableError, ConsentRequiredError, RecordNotFoundError } from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { PatientId } from '../domain/patient-id';
import { Principal } from '../domain/principal';
import { RecordId } from '../domain/record-id';
import { PatientAccess } from './patient-access';
import { ReplicationWorker } from './replication-worker';

export type CopyState = 'committed' | 'pending' | 'absent' | 'unreachable';

export interface ReplicationStatus {
  readonly recordId: string;
  readonly complete: boolean;
  readonly chains: Partial<Record<ChainName, CopyState>>;
}

/** Where the copies of a record are: the status URL a 202 upload points to. */
export class ReplicationStatusUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly worker: ReplicationWorker,
  ) {}

  async execute(input: { actor: Principal; patientId: string; recordId: string }): Promise<ReplicationStatus> {
    const patientId = PatientId.parse(input.patientId);
    const recordId = RecordId.parse(input.recordId);
    const pending = new Set(await this.worker.pendingFor(recordId));
    const chains: Partial<Record<ChainName, CopyState>> = {};
    let readable = false;
    let found = false;
    for (const chain of CHAIN_NAMES) {
      let record: LedgerRecord | null = null;
      try {
        const scope = await this.access.readScope(input.actor, patientId, chain, undefined);
        record = await this.ledgers.get(chain).findById(scope.patientKey, recordId);
        if (record) {
          found = true;
          readable ||= this.access.recordAccess(scope, record) !== null;
        }
        chains[chain] = record ? 'committed' : pending.has(chain) ? 'pending' : 'absent';
      } catch (error) {
        if (!(error instanceof ChainUnavailableError)) throw error;
        chains[chain] = pending.has(chain) ? 'pending' : 'unreachable';
      }
    }
    if (!found && pending.size === 0) throw new RecordNotFoundError('No record with this id for this patient.');
    if (found && !readable) throw new ConsentRequiredError("The patient's consent is required to see this record.");
    return { recordId: recordId.hex, complete: Object.values(chains).every((state) => state === 'committed'), chains };
  }
}
