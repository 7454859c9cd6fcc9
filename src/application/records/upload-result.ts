import { hexToBytes } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { LedgerRecord, RecordMetadata } from '../../domain/emr-record';
import { ReplicaReceipt, UploadReceipt } from '../../domain/ports/idempotency-store.port';
import { MetadataSource, toMetadata } from '../../domain/record-codec';
import { RecordId } from '../../domain/record-id';
import { PreparedUpload } from './upload-preparation';

/** `committed` (with version, transactions, block) or `pending` (owed by the journal). */
export type ReplicaStatus = ReplicaReceipt;

/** JSON-safe. An Idempotency-Key replays it from an UploadReceipt and the retried request. */
export interface UploadResult {
  readonly target: ChainName | 'both';
  /** Every requested ledger holds the record. False only for `both` with a ledger down (202). */
  readonly complete: boolean;
  /** As stored on the first ledger that committed it. */
  readonly metadata: RecordMetadata;
  readonly replicas: Partial<Record<ChainName, ReplicaStatus>>;
}

/** `committed` in the order of `upload.chains`: the first is the one the metadata shows. */
export function uploadResult(
  upload: PreparedUpload,
  committed: readonly LedgerRecord[],
  pending: readonly ChainName[],
): UploadResult {
  const replicas: Partial<Record<ChainName, ReplicaStatus>> = {};
  for (const record of committed) replicas[record.chain] = committedStatus(record);
  for (const chain of pending) replicas[chain] = { status: 'pending' };
  return {
    target: upload.chains.length > 1 ? 'both' : upload.chains[0],
    complete: pending.length === 0,
    metadata: toMetadata(upload.patientId, committed[0], upload.header),
    replicas,
  };
}

/** What the idempotency store keeps of an answer. */
export function receiptOf(answer: UploadResult): UploadReceipt {
  return {
    chain: answer.metadata.chain,
    createdAt: new Date(answer.metadata.createdAt),
    contentSha256: hexToBytes(answer.metadata.ciphertextSha256.slice(2)),
    replicas: answer.replicas,
  };
}

/** The answer a completed attempt gave, from its receipt and the retried request (same fingerprint, same fields). */
export function replayResult(upload: PreparedUpload, recordId: RecordId, receipt: UploadReceipt): UploadResult {
  const shown = receipt.replicas[receipt.chain];
  if (shown?.status !== 'committed') throw new Error('An idempotency receipt names a copy that was not committed.');
  const source: MetadataSource = {
    chain: receipt.chain,
    recordId,
    version: shown.version,
    transactions: shown.transactions,
    blockNumber: shown.blockNumber,
    createdAt: receipt.createdAt,
    contentSha256: receipt.contentSha256,
  };
  return {
    target: upload.chains.length > 1 ? 'both' : upload.chains[0],
    complete: upload.chains.every((chain) => receipt.replicas[chain]?.status === 'committed'),
    metadata: toMetadata(upload.patientId, source, upload.header),
    replicas: receipt.replicas,
  };
}

function committedStatus(record: LedgerRecord): ReplicaStatus {
  return {
    status: 'committed',
    version: record.version,
    transactions: record.transactions,
    blockNumber: record.blockNumber,
  };
}
