import { ChainName, parseReadTarget } from '../../domain/chain-name';
import { LedgerRecord, RecordMetadata } from '../../domain/emr-record';
import { ValidationFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { patientSigningKeys, Principal } from '../../domain/principal';
import { toMetadata } from '../../domain/record-codec';
import { AccessLogWriter } from '../access/access-log-writer';
import { PatientAccess, ReadScope, RecordAccess } from '../access/patient-access';
import { logRead } from '../access/read-logging';
import { LedgerFailover } from '../shared/ledger-failover';
import { decodeCursor, encodeCursor } from './record-cursor';
import { RecordOpener } from './record-opener';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface ListRecordsInput {
  readonly actor: Principal;
  readonly breakGlassReason?: string;
  readonly patientId: string;
  readonly chain: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface RecordPage {
  readonly items: RecordMetadata[];
  readonly nextCursor: string | null;
}

/**
 * A page of a patient's history on one ledger, newest first, every item verified. A
 * provider without consent sees only the records sealed to it (its own uploads), so a
 * page may hold fewer items than `limit`; follow nextCursor until it is null.
 */
export class ListRecordsUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly opener: RecordOpener,
    private readonly accessLog: AccessLogWriter,
    private readonly clock: Clock,
    private readonly failover: LedgerFailover,
  ) {}

  async execute(input: ListRecordsInput): Promise<RecordPage> {
    this.access.assertPlaintextReader(input.actor, String(input.patientId));
    const patientId = PatientId.parse(input.patientId);
    const target = parseReadTarget(input.chain);
    const limit = input.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new ValidationFailedError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
    }
    const cursor = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
    if (cursor && target !== 'any' && cursor.chain !== target) {
      throw new ValidationFailedError('cursor belongs to another ledger.', 'cursor');
    }
    const beforeVersion = cursor?.beforeVersion;
    // Versions differ between ledgers: with `any`, a page is served whole by one ledger, and
    // a cursor keeps the listing on the ledger that issued it.
    return this.failover.read(cursor ? cursor.chain : target, async (chain) => {
      const scope = await this.access.readScope(input.actor, patientId, chain, input.breakGlassReason);

      const page = await this.readablePage(scope, chain, limit, beforeVersion);
      const withTransactions = await this.ledgers
        .get(chain)
        .withTransactions(page.readable.map(({ record }) => record));
      const readable = page.readable.map((item, index) => ({ ...item, record: withTransactions[index] }));
      const nextBefore = page.nextBefore;
      const items = await Promise.all(
        readable.map(async ({ record, granted }) => {
          const { header } = await this.opener.openHeader(
            chain,
            scope.patientKey,
            record,
            granted.keys,
            patientSigningKeys(scope.patient.keys),
          );
          return toMetadata(patientId, record, header);
        }),
      );
      // A listing that showed the provider nothing of the patient's is not a read of their records.
      const kind = scope.wholeRecordKind === 'patient' ? null : (scope.wholeRecordKind ?? 'own-upload');
      if (kind !== 'own-upload' || items.length > 0)
        await logRead(this.accessLog, this.clock, chain, scope, null, kind);
      const nextCursor = nextBefore === null ? null : encodeCursor({ beforeVersion: nextBefore, chain });
      return { items, nextCursor };
    });
  }

  /**
   * Up to `limit` records the reader may open, newest first, and the version the next page
   * starts below (null: none older). A reader who may see only its own uploads gets a cursor
   * only from a version it may read: the ledger is scanned past other records, so neither an
   * empty page nor a cursor tells how long the patient's history is.
   */
  private async readablePage(
    scope: ReadScope,
    chain: ChainName,
    limit: number,
    beforeVersion: number | undefined,
  ): Promise<{ readable: { record: LedgerRecord; granted: RecordAccess }[]; nextBefore: number | null }> {
    const ledger = this.ledgers.get(chain);
    const readable: { record: LedgerRecord; granted: RecordAccess }[] = [];
    if (scope.wholeRecordKind !== null) {
      const records = await ledger.list(scope.patientKey, { limit, beforeVersion });
      // Under consent a record sealed only to the patient (and providers they chose) is left out, not an error.
      for (const record of records) {
        const granted = await this.access.recordAccess(scope, record);
        if (granted) readable.push({ record, granted });
      }
      const oldest = records[records.length - 1];
      return { readable, nextBefore: records.length === limit && oldest.version > 1 ? oldest.version : null };
    }
    let before = beforeVersion;
    for (;;) {
      const records = await ledger.list(scope.patientKey, { limit: MAX_PAGE_SIZE, beforeVersion: before });
      for (const record of records) {
        const granted = await this.access.recordAccess(scope, record);
        if (!granted) continue;
        readable.push({ record, granted });
        if (readable.length === limit) return { readable, nextBefore: record.version > 1 ? record.version : null };
      }
      const oldest = records[records.length - 1];
      if (records.length < MAX_PAGE_SIZE || oldest.version <= 1) return { readable, nextBefore: null };
      before = oldest.version;
    }
  }
}
