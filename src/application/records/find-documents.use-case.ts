import { CHAIN_NAMES, ChainName } from '../../domain/chain-name';
import { LedgerRecord, RecordHeader } from '../../domain/emr-record';
import { ChainUnavailableError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { patientSigningKeys, Principal } from '../../domain/principal';
import { AccessLogWriter } from '../access/access-log-writer';
import { PatientAccess } from '../access/patient-access';
import { logRead } from '../access/read-logging';
import { RecordOpener } from './record-opener';

/** Ledger pages are read this many records at a time. */
const SCAN_PAGE = 100;

export interface FindDocumentsInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly breakGlassReason?: string;
}

/** One document of the patient, as every ledger holding a copy the reader may open shows it. */
export interface FoundDocument {
  readonly recordId: string;
  readonly patientId: string;
  readonly header: RecordHeader;
  /** When the first copy was written. */
  readonly createdAt: Date;
  /** Ledgers holding a verified copy, in CHAIN_NAMES order. */
  readonly chains: ChainName[];
}

/**
 * Every document of a patient the reader may open, across both ledgers, newest first (a FHIR
 * DocumentReference search; the FHIR face filters and pages the result). The same record on the
 * two ledgers is one document listing both. Same rules as a record listing: the patient sees all,
 * a provider with consent or a break-glass reason sees all, otherwise only its own uploads; each
 * ledger listed is logged as a listing read. A ledger that cannot be reached is left out while
 * the other answers; both down is 503.
 */
export class FindDocumentsUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly opener: RecordOpener,
    private readonly accessLog: AccessLogWriter,
    private readonly clock: Clock,
  ) {}

  async execute(input: FindDocumentsInput): Promise<FoundDocument[]> {
    this.access.assertPlaintextReader(input.actor, String(input.patientId));
    const patientId = PatientId.parse(input.patientId);
    const found = new Map<string, { header: RecordHeader; createdAt: Date; chains: ChainName[] }>();
    let unavailable: ChainUnavailableError | null = null;
    let answered = 0;
    // One search is one emergency read however many ledgers it lists.
    const budget = { spent: false };
    for (const chain of CHAIN_NAMES) {
      let records: { record: LedgerRecord; header: RecordHeader }[];
      try {
        records = await this.readable(input, patientId, chain, budget);
      } catch (error) {
        if (!(error instanceof ChainUnavailableError)) throw error;
        unavailable = error;
        continue;
      }
      answered += 1;
      for (const { record, header } of records) {
        const seen = found.get(record.recordId.hex);
        if (!seen) found.set(record.recordId.hex, { header, createdAt: record.createdAt, chains: [chain] });
        else {
          seen.chains.push(chain);
          if (record.createdAt < seen.createdAt) seen.createdAt = record.createdAt;
        }
      }
    }
    if (answered === 0 && unavailable) throw unavailable;
    return [...found.entries()]
      .map(([recordId, document]) => ({ recordId, patientId: patientId.value, ...document }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.recordId.localeCompare(b.recordId));
  }

  private async readable(
    input: FindDocumentsInput,
    patientId: PatientId,
    chain: ChainName,
    budget: { spent: boolean },
  ): Promise<{ record: LedgerRecord; header: RecordHeader }[]> {
    const scope = await this.access.readScope(input.actor, patientId, chain, input.breakGlassReason, !budget.spent);
    if (scope.wholeRecordKind === 'emergency') budget.spent = true;
    const ledger = this.ledgers.get(chain);
    const readable: { record: LedgerRecord; header: RecordHeader }[] = [];
    let before: number | undefined;
    for (;;) {
      const records = await ledger.list(scope.patientKey, { limit: SCAN_PAGE, beforeVersion: before });
      for (const record of records) {
        const granted = await this.access.recordAccess(scope, record);
        if (!granted) continue;
        const { header } = await this.opener.openHeader(
          chain,
          scope.patientKey,
          record,
          granted.keys,
          patientSigningKeys(scope.patient.keys),
        );
        readable.push({ record, header });
      }
      const oldest = records[records.length - 1];
      if (records.length < SCAN_PAGE || oldest.version <= 1) break;
      before = oldest.version;
    }
    // As a listing: one that showed the provider nothing of the patient's is not a read of their records.
    const kind = scope.wholeRecordKind === 'patient' ? null : (scope.wholeRecordKind ?? 'own-upload');
    if (kind !== 'own-upload' || readable.length > 0)
      await logRead(this.accessLog, this.clock, chain, scope, null, kind);
    return readable;
  }
}
