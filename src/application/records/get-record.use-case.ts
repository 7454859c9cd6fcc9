import { RecordMetadata } from '../../domain/emr-record';
import { toMetadata } from '../../domain/record-codec';
import { RecordOpener } from './record-opener';
import { GetRecordInput, RecordReader } from './record-reader';

export interface RecordContent {
  readonly metadata: RecordMetadata;
  readonly bytes: Uint8Array;
}

/**
 * Loads a record (or the patient's latest), checks who may read it, verifies it end to
 * end and decrypts it (RecordReader). The content is fetched and verified before the read
 * is logged, so a copy that fails verification falls over without being served.
 */
export class GetRecordUseCase {
  constructor(
    private readonly reader: RecordReader,
    private readonly opener: RecordOpener,
  ) {}

  async execute(input: GetRecordInput): Promise<RecordContent> {
    return this.reader.read(input, async ({ ledger, scope, record, opened }) => {
      const content = await ledger.readContent(record);
      const bytes = await this.opener.openContent(scope.patientKey, record, opened, content);
      return { metadata: toMetadata(scope.patientId, record, opened.header), bytes };
    });
  }
}
