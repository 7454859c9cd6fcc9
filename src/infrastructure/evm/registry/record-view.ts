import { getBytes } from 'ethers';
import { EmrRegistry } from '../../../../typechain-types';
import { ChainName } from '../../../domain/chain-name';
import { LedgerRecord } from '../../../domain/emr-record';
import { RecordId } from '../../../domain/record-id';

/** A record as the registry's getRecord/recordsPage return it, in domain terms (bytes, numbers, dates). */
export function toLedgerRecord(chain: ChainName, view: EmrRegistry.RecordViewStructOutput): LedgerRecord {
  return {
    chain,
    recordId: RecordId.fromBytes(getBytes(view.recordId)),
    patientKey: getBytes(view.patientKey),
    contentSha256: getBytes(view.contentSha256),
    sealedHeader: getBytes(view.sealedHeader),
    keyEnvelope: getBytes(view.keyEnvelope),
    signature: getBytes(view.signature),
    signerKeyId: getBytes(view.signerKeyId),
    version: Number(view.version),
    contentLength: Number(view.contentLength),
    contentLocation: [...view.chunks],
    createdAt: new Date(Number(view.createdAt) * 1_000),
    writer: view.writer,
    transactions: [],
    blockNumber: Number(view.blockNumber),
  };
}
