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

export interface RecordContent {
  readonly metadata: RecordMetadata;
  readonly bytes: Uint8Array;
}

/**
 * Loads a record (or the patient's latest), checks who may read it, verifies it end to
 * end and decrypts it. With `chain=any` a failed ledger or a bad copy falls over to the
 * other ledger; bad copies are reported to the IntegrityMonitor either way.
 */
export class GetRecordUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly opener: RecordOpener,
    private readonly accessLog: AccessLogWriter,
    private readonly clock: Clock,
    private readonly failover: LedgerFailover,
    private readonly integrity: IntegrityMonitor,
  ) {}

  async execute(input: GetRecordInput): Promise<RecordContent> {
    const parsed = parseRead(input);
    return this.failover.read(parsed.target, async (chain) => {
      const { scope, record } = await locateRecord(this.ledgers, this.access, input, parsed, chain);
      const granted = this.access.requireRecordAccess(scope, record);
      try {
        const opened = await this.opener.openHeader(chain, scope.patientKey, record, granted.keys);
        const content = await this.ledgers.get(chain).readContent(record);
        const bytes = await this.opener.openContent(scope.patientKey, record, opened, content);
        await logRead(this.accessLog, this.clock, chain, scope, record.recordId, granted.logKind);
        return { metadata: toMetadata(scope.patientId, record, opened.header), bytes };
      } catch (error) {
        if (error instanceof IntegrityCheckFailedError) this.integrity.report(chain, record.recordId, this.clock.now());
        throw error;
      }
    });
  }
}
