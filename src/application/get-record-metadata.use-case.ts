import { RecordMetadata } from '../domain/emr-record';
import { Ledgers } from '../domain/ledgers';
import { PatientPseudonymizer } from '../domain/ports/patient-pseudonymizer.port';
import { toMetadata } from '../domain/record-codec';
import { GetRecordInput, locateRecord } from './record-locator';
import { RecordOpener } from './record-opener';

/** Metadata only: verifies the signature and opens the sealed header, never fetches content. */
export class GetRecordMetadataUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: PatientPseudonymizer,
    private readonly opener: RecordOpener,
  ) {}

  async execute(input: GetRecordInput): Promise<RecordMetadata> {
    const { patientId, chain, patientKey, record } = await locateRecord(this.ledgers, this.pseudonymizer, input);
    const { header } = await this.opener.openHeader(chain, patientKey, record);
    return toMetadata(patientId, record, header);
  }
}
