import { parseReadTarget } from '../domain/chain-name';
import { RecordMetadata } from '../domain/emr-record';
import { ValidationFailedError } from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { PatientId } from '../domain/patient-id';
import { Clock } from '../domain/ports/clock.port';
import { Principal } from '../domain/principal';
import { toMetadata } from '../domain/record-codec';
import { AccessLogWriter } from './access-log-writer';
import { PatientAccess } from './patient-access';
import { logRead } from './read-logging';
import { LedgerFailover } from './ledger-failover';
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

      const records = await this.ledgers.get(chain).list(scope.patientKey, { limit, beforeVersion });
      const readable = records.flatMap((record) => {
        const granted = this.access.recordAccess(scope, record);
        return granted ? [{ record, granted }] : [];
      });
      const items = await Promise.all(
        readable.map(async ({ record, granted }) => {
          const { header } = await this.opener.openHeader(chain, scope.patientKey, record, granted.keys);
          return toMetadata(patientId, record, header);
        }),
      );
      // A listing that showed the provider nothing of the patient's is not a read of their records.
      const kind = scope.wholeRecordKind === 'patient' ? null : (scope.wholeRecordKind ?? 'own-upload');
      if (kind !== 'own-upload' || items.length > 0)
        await logRead(this.accessLog, this.clock, chain, scope, null, kind);
      const oldest = records[records.length - 1];
      const nextCursor =
        records.length === limit && oldest.version > 1 ? encodeCursor({ beforeVersion: oldest.version, chain }) : null;
      return { items, nextCursor };
    });
  }
}
