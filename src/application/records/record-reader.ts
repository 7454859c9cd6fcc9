import { ChainName, parseReadTarget } from '../../domain/chain-name';
import { LedgerRecord } from '../../domain/emr-record';
import { IntegrityCheckFailedError, RecordNotFoundError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { EmrRepository } from '../../domain/ports/emr-repository.port';
import { patientSigningKeys, Principal } from '../../domain/principal';
import { RecordId } from '../../domain/record-id';
import { AccessLogWriter } from '../access/access-log-writer';
import { PatientAccess, ReadScope } from '../access/patient-access';
import { logRead } from '../access/read-logging';
import { IntegrityMonitor } from '../shared/integrity-monitor';
import { LedgerFailover } from '../shared/ledger-failover';
import { OpenedHeader, RecordOpener } from './record-opener';

export interface GetRecordInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly chain: string;
  /** A record id, or `latest`. */
  readonly recordId: string;
  /** X-Break-Glass-Reason, when a provider reads without consent in an emergency. */
  readonly breakGlassReason?: string;
}

/** A record found on one ledger, its reader allowed, its signature verified and its header opened. */
export interface VerifiedRecord {
  readonly chain: ChainName;
  readonly ledger: EmrRepository;
  readonly scope: ReadScope;
  readonly record: LedgerRecord;
  readonly opened: OpenedHeader;
}

interface ParsedRead {
  readonly patientId: PatientId;
  readonly target: ChainName | 'any';
  readonly recordId: RecordId | null;
}

/**
 * The one read path for a single record (its bytes or its metadata): resolve who is reading
 * on a ledger, find the record (or the patient's latest), check the reader may open it,
 * verify and open its header, let the caller fetch what it serves, then log the read, which
 * is journaled durably before anything is returned. With `chain=any` a failed ledger or a bad
 * copy falls over to the other ledger; bad copies are reported to the IntegrityMonitor either way.
 */
export class RecordReader {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly opener: RecordOpener,
    private readonly accessLog: AccessLogWriter,
    private readonly clock: Clock,
    private readonly failover: LedgerFailover,
    private readonly integrity: IntegrityMonitor,
  ) {}

  /** `fetch` turns the verified record into the answer; its IntegrityCheckFailedError counts as a bad copy too. */
  async read<T>(input: GetRecordInput, fetch: (verified: VerifiedRecord) => Promise<T>): Promise<T> {
    this.access.assertPlaintextReader(input.actor, String(input.patientId));
    const parsed = parseRead(input);
    return this.failover.read(parsed.target, async (chain) => {
      const { scope, record } = await this.locate(input, parsed, chain);
      try {
        // Signature first: the envelope is under it, so tampering is a 422, never a mistaken "not yours".
        await this.opener.assertSigned(chain, record, patientSigningKeys(scope.patient.keys));
        const granted = await this.access.requireRecordAccess(scope, record);
        const opened = await this.opener.openSignedHeader(scope.patientKey, record, granted.keys);
        const answer = await fetch({ chain, ledger: this.ledgers.get(chain), scope, record, opened });
        await logRead(this.accessLog, this.clock, chain, scope, record.recordId, granted.logKind);
        return answer;
      } catch (error) {
        if (error instanceof IntegrityCheckFailedError) this.integrity.report(chain, record.recordId, this.clock.now());
        throw error;
      }
    });
  }

  /** RecordNotFoundError when this ledger has no such entry for the patient. */
  private async locate(
    input: GetRecordInput,
    parsed: ParsedRead,
    chain: ChainName,
  ): Promise<{ scope: ReadScope; record: LedgerRecord }> {
    const { patientId, recordId } = parsed;
    const scope = await this.access.readScope(input.actor, patientId, chain, input.breakGlassReason);
    const repository = this.ledgers.get(chain);
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
    return { scope, record };
  }
}

function parseRead(input: GetRecordInput): ParsedRead {
  return {
    patientId: PatientId.parse(input.patientId),
    target: parseReadTarget(input.chain),
    recordId: input.recordId === 'latest' ? null : RecordId.parse(input.recordId),
  };
}
