import { createHash, randomBytes } from 'node:crypto';
import { LedgerRecord, NewLedgerRecord } from '../../src/domain/emr-record';
import { RecordId } from '../../src/domain/record-id';

const RECORD_ID_BYTES = 32;

/**
 * A record shaped like `template` (a real sealed one: its header, key envelope and signature) under
 * `patientKey`, with a fresh record id and fresh random content of the same length. The ledger
 * stores it like any other; nobody opens it. The http and scale sections append these.
 */
export function freshRecord(template: LedgerRecord, patientKey: Uint8Array): NewLedgerRecord {
  const content = new Uint8Array(randomBytes(template.contentLength));
  return {
    recordId: RecordId.fromBytes(new Uint8Array(randomBytes(RECORD_ID_BYTES))),
    patientKey,
    content,
    contentSha256: new Uint8Array(createHash('sha256').update(content).digest()),
    sealedHeader: template.sealedHeader,
    keyEnvelope: template.keyEnvelope,
    signature: template.signature,
    signerKeyId: template.signerKeyId,
  };
}
