import { RecordMetadata } from '../../domain/emr-record';
import { toMetadata } from '../../domain/record-codec';
import { GetRecordInput, RecordReader } from './record-reader';

/** Metadata only: same access rules and verification as the bytes (RecordReader), but no content is fetched. */
export class GetRecordMetadataUseCase {
  constructor(private readonly reader: RecordReader) {}

  async execute(input: GetRecordInput): Promise<RecordMetadata> {
    return this.reader.read(input, async ({ ledger, scope, record, opened }) => {
      // Transactions as the upload answer listed them (reads of the bytes skip this lookup).
      const [withTransactions] = await ledger.withTransactions([record]);
      return toMetadata(scope.patientId, withTransactions, opened.header);
    });
  }
}
