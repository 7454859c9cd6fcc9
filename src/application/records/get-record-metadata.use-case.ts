import { RecordMetadata } from '../../domain/emr-record';
import { Ledgers } from '../../domain/ledgers';
import { IntegrityCheckFailedError } from '../../domain/errors';
import { Clock } from '../../domain/ports/clock.port';
import { toMetadata } from '../../domain/record-codec';
import { AccessLogWriter } from '../access/access-log-writer';
import { PatientAccess } from '../access/patient-access';
import { logRead } from '../access/read-logging';
import { IntegrityMonitor } from '../shared/integrity-monitor';
import { LedgerFailover } from '../shared/ledger-failover';
import { GetRecordInput, locateRecord, parseRead } from './record-locator';
import { RecordOpener } from './record-opener';

/** Metadata only: same access rules and verification as the bytes, but no content is fetched. */
export class GetRecordMetadataUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly opener: RecordOpener,
    private readonly accessLog: AccessLogWriter,
    private readonly clock: Clock,
    private readonly failover: LedgerFailover,
    private readonly integrity: IntegrityMonitor,
  ) {}

  async execute(input: GetRecordInput): Promise<RecordMetadata> {
    const parsed = parseRead(input);
    return this.failover.read(parsed.target, async (chain) => {
      const { scope, record } = await locateRecord(this.ledgers, this.access, input, parsed, chain);
      const granted = this.access.requireRecordAccess(scope, record);
      try {
        const { header } = await this.opener.openHeader(chain, scope.patientKey, record, granted.keys);
        await logRead(this.accessLog, this.clock, chain, scope, record.recordId, granted.logKind);
        // Transactions as the upload answer listed them (reads of the bytes skip this lookup).
        const [withTransactions] = await this.ledgers.get(chain).withTransactions([record]);
        return toMetadata(scope.patientId, withTransactions, header);
      } catch (error) {
        if (error instanceof IntegrityCheckFailedError) this.integrity.report(chain, record.recordId, this.clock.now());
        throw error;
      }
    });
  }
}
