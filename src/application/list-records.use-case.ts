import { parseChainName } from '../domain/chain-name';
import { RecordMetadata } from '../domain/emr-record';
import { ValidationFailedError } from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { PatientId } from '../domain/patient-id';
import { PatientPseudonymizer } from '../domain/ports/patient-pseudonymizer.port';
import { toMetadata } from '../domain/record-codec';
import { decodeCursor, encodeCursor } from './record-cursor';
import { RecordOpener } from './record-opener';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface ListRecordsInput {
  readonly patientId: string;
  readonly chain: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface RecordPage {
  readonly items: RecordMetadata[];
  readonly nextCursor: string | null;
}

/** A page of a patient's history on one ledger, newest first, every item verified. */
export class ListRecordsUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: PatientPseudonymizer,
    private readonly opener: RecordOpener,
  ) {}

  async execute(input: ListRecordsInput): Promise<RecordPage> {
    const patientId = PatientId.parse(input.patientId);
    const chain = parseChainName(input.chain);
    const limit = input.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new ValidationFailedError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
    }
    const beforeVersion = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
    const patientKey = this.pseudonymizer.pseudonym(patientId);

    const records = await this.ledgers.get(chain).list(patientKey, { limit, beforeVersion });
    const items = await Promise.all(
      records.map(async (record) => {
        const { header } = await this.opener.openHeader(chain, patientKey, record);
        return toMetadata(patientId, record, header);
      }),
    );
    const oldest = records[records.length - 1];
    const nextCursor = records.length === limit && oldest.version > 1 ? encodeCursor(oldest.version) : null;
    return { items, nextCursor };
  }
}
