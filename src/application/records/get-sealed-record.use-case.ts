import { bytesEqual } from '../../domain/bytes';
import { parseReadTarget } from '../../domain/chain-name';
import { IntegrityCheckFailedError, RecordNotFoundError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { Principal } from '../../domain/principal';
import { RecordId } from '../../domain/record-id';
import { PatientAccess } from '../access/patient-access';
import { IntegrityMonitor } from '../shared/integrity-monitor';
import { LedgerFailover } from '../shared/ledger-failover';
import { PatientRewrap } from './patient-rewrap';
import { SealedRecord, SealedRecordViews } from './sealed-record-view';

export interface GetSealedRecordInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly chain: string;
  /** A record id, or `latest`. */
  readonly recordId: string;
}

/**
 * One of the patient's records with its content, sealed: the browser verifies the signature and
 * digest and decrypts with the patient's key. The service checks the content digest too, so a
 * bad copy falls over to the other ledger (chain=any) and is reported, as plaintext reads do.
 */
export class GetSealedRecordUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly views: SealedRecordViews,
    private readonly rewrap: PatientRewrap,
    private readonly hasher: Hasher,
    private readonly failover: LedgerFailover,
    private readonly integrity: IntegrityMonitor,
    private readonly clock: Clock,
  ) {}

  async execute(input: GetSealedRecordInput): Promise<SealedRecord> {
    const patientId = PatientId.parse(input.patientId);
    const target = parseReadTarget(input.chain);
    const recordId = input.recordId === 'latest' ? null : RecordId.parse(input.recordId);
    const { patient, patientKey } = await this.access.sealedScope(input.actor, patientId);
    return this.failover.read(target, async (chain) => {
      const ledger = this.ledgers.get(chain);
      const found = recordId ? await ledger.findById(patientKey, recordId) : await ledger.latest(patientKey);
      if (!found) {
        throw new RecordNotFoundError(
          recordId ? 'No record with this id for this patient on this ledger.' : 'You have no records on this ledger.',
        );
      }
      const [record] = await ledger.withTransactions([found]);
      const content = await ledger.readContent(record);
      if (content.length !== record.contentLength || !bytesEqual(this.hasher.sha256(content), record.contentSha256)) {
        this.integrity.report(chain, record.recordId, this.clock.now());
        throw new IntegrityCheckFailedError('The record content does not match its digest.');
      }
      await this.rewrap.rewrap(patient, patientKey, chain, [record]);
      return this.views.view(patient, patientKey, record, content);
    });
  }
}
