import { parseReadTarget } from '../../domain/chain-name';
import { ValidationFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Principal } from '../../domain/principal';
import { PatientAccess } from '../access/patient-access';
import { LedgerFailover } from '../shared/ledger-failover';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './list-records.use-case';
import { PatientRewrap } from './patient-rewrap';
import { decodeCursor, encodeCursor } from './record-cursor';
import { SealedRecord, SealedRecordViews } from './sealed-record-view';

export interface ListSealedRecordsInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly chain: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface SealedRecordPage {
  readonly items: SealedRecord[];
  readonly nextCursor: string | null;
}

/**
 * The patient's own history on a ledger, newest first, sealed (no content): the browser opens the
 * headers with the patient's key to show names and types. Paging as ListRecordsUseCase. Records a
 * provider uploaded before the patient had keys are given the patient's slot on the way (PatientRewrap).
 */
export class ListSealedRecordsUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly access: PatientAccess,
    private readonly views: SealedRecordViews,
    private readonly rewrap: PatientRewrap,
    private readonly failover: LedgerFailover,
  ) {}

  async execute(input: ListSealedRecordsInput): Promise<SealedRecordPage> {
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
    const { patient, patientKey } = await this.access.sealedScope(input.actor, patientId);
    return this.failover.read(cursor ? cursor.chain : target, async (chain) => {
      const ledger = this.ledgers.get(chain);
      const records = await ledger.withTransactions(
        await ledger.list(patientKey, { limit, beforeVersion: cursor?.beforeVersion }),
      );
      await this.rewrap.rewrap(patient, patientKey, chain, records);
      const items = await Promise.all(records.map((record) => this.views.view(patient, patientKey, record)));
      const oldest = records[records.length - 1];
      const nextCursor =
        records.length === limit && oldest.version > 1 ? encodeCursor({ beforeVersion: oldest.version, chain }) : null;
      return { items, nextCursor };
    });
  }
}
