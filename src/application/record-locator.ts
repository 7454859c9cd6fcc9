import { ChainName, parseChainName } from '../domain/chain-name';
import { LedgerRecord } from '../domain/emr-record';
import { RecordNotFoundError } from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { PatientId } from '../domain/patient-id';
import { PatientPseudonymizer } from '../domain/ports/patient-pseudonymizer.port';
import { RecordId } from '../domain/record-id';

export interface GetRecordInput {
  readonly patientId: string;
  readonly chain: string;
  /** A record id, or `latest`. */
  readonly recordId: string;
}

export interface LocatedRecord {
  readonly patientId: PatientId;
  readonly chain: ChainName;
  readonly patientKey: Uint8Array;
  readonly record: LedgerRecord;
}

/** Validates the request and finds the ledger entry; RecordNotFoundError when there is none. */
export async function locateRecord(
  ledgers: Ledgers,
  pseudonymizer: PatientPseudonymizer,
  input: GetRecordInput,
): Promise<LocatedRecord> {
  const patientId = PatientId.parse(input.patientId);
  const chain = parseChainName(input.chain);
  const recordId = input.recordId === 'latest' ? null : RecordId.parse(input.recordId);
  const patientKey = pseudonymizer.pseudonym(patientId);
  const repository = ledgers.get(chain);
  const record = recordId ? await repository.findById(patientKey, recordId) : await repository.latest(patientKey);
  if (!record) {
    throw new RecordNotFoundError(
      recordId ? 'No record with this id for this patient on this ledger.' : 'This patient has no records on this ledger.',
    );
  }
  return { patientId, chain, patientKey, record };
}
