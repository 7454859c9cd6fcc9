import { RecordMetadata } from '../domain/emr-record';
import { Ledgers } from '../domain/ledgers';
import { PatientPseudonymizer } from '../domain/ports/patient-pseudonymizer.port';
import { toMetadata } from '../domain/record-codec';
import { GetRecordInput, locateRecord } from './record-locator';
import { RecordOpener } from './record-opener';

export interface RecordContent {
  readonly metadata: RecordMetadata;
  readonly bytes: Uint8Array;
}

/** Loads a record (or the patient's latest), verifies it end to end and decrypts it. */
export class GetRecordUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: PatientPseudonymizer,
    private readonly opener: RecordOpener,
  ) {}

  async execute(input: GetRecordInput): Promise<RecordContent> {
    const { patientId, chain, patientKey, record } = await locateRecord(this.ledgers, this.pseudonymizer, input);
    const opened = await this.opener.openHeader(chain, patientKey, record);
    const content = await this.ledgers.get(chain).readContent(record);
    const bytes = await this.opener.openContent(patientKey, record, opened, content);
    return { metadata: toMetadata(patientId, record, opened.header), bytes };
  }
}
