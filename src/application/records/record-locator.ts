import { ChainName, parseReadTarget } from '../../domain/chain-name';
import { LedgerRecord } from '../../domain/emr-record';
import { RecordNotFoundError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Principal } from '../../domain/principal';
import { RecordId } from '../../domain/record-id';
import { PatientAccess, ReadScope } from '../access/patient-access';

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

export interface ParsedRead {
  readonly patientId: PatientId;
  readonly target: ChainName | 'any';
  readonly recordId: RecordId | null;
}

export function parseRead(input: GetRecordInput): ParsedRead {
  return {
    patientId: PatientId.parse(input.patientId),
    target: parseReadTarget(input.chain),
    recordId: input.recordId === 'latest' ? null : RecordId.parse(input.recordId),
  };
}

/**
 * Resolves who is reading on one ledger and finds the entry there;
 * RecordNotFoundError when there is none.
 */
export async function locateRecord(
  ledgers: Ledgers,
  access: PatientAccess,
  input: GetRecordInput,
  parsed: ParsedRead,
  chain: ChainName,
): Promise<LocatedRecord> {
  const { patientId, recordId } = parsed;
  const scope = await access.readScope(input.actor, patientId, chain, input.breakGlassReason);
  const repository = ledgers.get(chain);
  const record = recordId
    ? await repository.findById(scope.patientKey, recordId)
    : await repository.latest(scope.patientKey);
  if (!record) {
    throw new RecordNotFoundError(
      recordId
        ? 'No record with this id for this patient on this ledger.'
        : 'This patient has no records on this ledger.',
    );
  }
  return { chain, scope, record };
}
