import { ChainName, parseChainName } from '../domain/chain-name';
import { LedgerRecord } from '../domain/emr-record';
import { RecordNotFoundError } from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { PatientId } from '../domain/patient-id';
import { Principal } from '../domain/principal';
import { RecordId } from '../domain/record-id';
import { PatientAccess, ReadScope } from './patient-access';

export interface GetRecordInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly chain: string;
  /** A record id, or `latest`. */
  readonly recordId: string;
  /** X-Break-Glass-Reason, when a provider reads without consent in an emergency. */
  readonly breakGlassReason?: string;
}

export interface LocatedRecord {
  readonly chain: ChainName;
  readonly scope: ReadScope;
  readonly record: LedgerRecord;
}

/**
 * Validates the request, resolves who is reading, and finds the ledger entry.
 * Input is validated before anything is looked up; RecordNotFoundError when there is none.
 */
export async function locateRecord(ledgers: Ledgers, access: PatientAccess, input: GetRecordInput): Promise<LocatedRecord> {
  const patientId = PatientId.parse(input.patientId);
  const chain = parseChainName(input.chain);
  const recordId = input.recordId === 'latest' ? null : RecordId.parse(input.recordId);
  const scope = await access.readScope(input.actor, patientId, chain, input.breakGlassReason);
  const repository = ledgers.get(chain);
  const record = recordId
    ? await repository.findById(scope.patientKey, recordId)
    : await repository.latest(scope.patientKey);
  if (!record) {
    throw new RecordNotFoundError(
      recordId ? 'No record with this id for this patient on this ledger.' : 'This patient has no records on this ledger.',
    );
  }
  return { chain, scope, record };
}
