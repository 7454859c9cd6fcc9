import { dataSlice, getAddress, getBytes } from 'ethers';
import { EmrRegistry } from '../../../../typechain-types';
import { LedgerRecord, NewLedgerRecord, storedFieldsOf } from '../../../domain/emr-record';
import { EvmConnection } from '../connection/evm-connection';
import { unavailable } from '../connection/rpc-failures';
import { MinedReceipt, ReceiptLog } from '../tx/transaction-sender';
import { PlannedChunk, planUpload, UploadPlan } from './chunk-plan';
import { encodeCommitRecord, encodeStoreChunks } from './registry-calldata';
import { RegistryCall, RegistryReverts, Upload } from './registry-reverts';

/** Chunk transactions of one upload in flight before waiting for the oldest receipt. */
const PIPELINE_DEPTH = 4;
/** bytes32 fields of the registry. */
const WORD_BYTES = 32;
/** An address in a 32-byte topic: its last 20 bytes, after 0x and 24 hex digits of zeros. */
const TOPIC_ADDRESS_HEX_START = 2 + 24;

/** What the storeChunks transactions of an upload left: chunk addresses in content order, their hashes. */
interface StoredChunks {
  readonly chunks: readonly string[];
  readonly transactions: readonly string[];
}

/**
 * One record's way onto the EmrRegistry: the upload plan (chunk-plan.ts), its storeChunks
 * transactions pipelined, then the commit that makes the record visible. Inputs are checked by the
 * adapter before; refusals are decoded by RegistryReverts.
 */
export class RegistryUploader {
  private readonly chunkStoredTopic: string;
  private readonly recordStoredTopic: string;

  constructor(
    private readonly connection: EvmConnection,
    registry: EmrRegistry,
    private readonly reverts: RegistryReverts,
  ) {
    this.chunkStoredTopic = registry.interface.getEvent('ChunkStored').topicHash;
    this.recordStoredTopic = registry.interface.getEvent('RecordStored').topicHash;
  }

  /** The registry's address and event topics, for reading the upload's transactions back. */
  get events(): { registryAddress: string; chunkStoredTopic: string; recordStoredTopic: string } {
    const { registryAddress } = this.connection.settings;
    return { registryAddress, chunkStoredTopic: this.chunkStoredTopic, recordStoredTopic: this.recordStoredTopic };
  }

  async upload(record: NewLedgerRecord, sealedFieldsBytes: number, upload: Upload): Promise<LedgerRecord> {
    const plan = planUpload(record.content.length, sealedFieldsBytes);
    const slice = (chunk: PlannedChunk): Uint8Array => record.content.subarray(chunk.start, chunk.end);

    // Dry run of the first storeChunks: a duplicate id or a revoked role fails here, decoded and
    // before any chunk is paid for. The commit gets no dry run: for a small record it is the only
    // transaction, and a dry run would double the ledger's work on every upload to save the gas of
    // a revert that almost never comes (state may move after a dry run anyway). A reverted commit
    // is diagnosed by replaying it (RegistryReverts.diagnose) and fails with the same errors.
    if (plan.batches.length > 0) {
      const first = encodeStoreChunks(record.recordId.bytes, 0, plan.batches[0].map(slice));
      await this.reverts.dryRun(upload, { data: first, gasLimit: plan.batchGasLimits[0] });
    }
    const stored = await this.storeChunks(upload, record.recordId.bytes, plan, slice);
    const commit: RegistryCall = {
      data: encodeCommitRecord(
        {
          patientKey: record.patientKey,
          recordId: record.recordId.bytes,
          contentSha256: record.contentSha256,
          signerKeyId: record.signerKeyId,
          contentLength: record.content.length,
          chunks: stored.chunks.map((address) => getBytes(address)),
          sealedHeader: record.sealedHeader,
          keyEnvelope: record.keyEnvelope,
          signature: record.signature,
        },
        plan.tail.map(slice),
      ),
      gasLimit: plan.commitGasLimit,
    };
    const hash = await this.broadcast(commit);
    const receipt = await this.confirmed(upload, commit, hash, this.connection.settings.confirmations);
    const committed = await this.committedRecord(record, receipt, stored, plan.chunks.length);
    this.connection.logger.log(
      `${this.connection.label}: record ${upload.recordId} committed as version ${committed.version} ` +
        `(${record.content.length} bytes, ${committed.transactions.length} transactions, block ${receipt.blockNumber}).`,
    );
    return committed;
  }

  /** Sends the planned storeChunks batches, up to PIPELINE_DEPTH in flight, in order. */
  private async storeChunks(
    upload: Upload,
    recordId: Uint8Array,
    plan: UploadPlan,
    slice: (chunk: PlannedChunk) => Uint8Array,
  ): Promise<StoredChunks> {
    const transactions: string[] = [];
    const receipts: Promise<MinedReceipt>[] = [];
    for (const [i, batch] of plan.batches.entries()) {
      if (i >= PIPELINE_DEPTH) await receipts[i - PIPELINE_DEPTH];
      const call = {
        data: encodeStoreChunks(recordId, batch[0].index, batch.map(slice)),
        gasLimit: plan.batchGasLimits[i],
      };
      const hash = await this.broadcast(call);
      transactions.push(hash);
      const receipt = this.confirmed(upload, call, hash, 1);
      // Handled here so a failure does not surface as an unhandled rejection while we await another.
      receipt.catch(() => undefined);
      receipts.push(receipt);
    }
    const chunks: string[] = [];
    for (const receipt of await Promise.all(receipts)) chunks.push(...this.chunksIn(upload.recordId, receipt));
    const expected = plan.chunks.length - plan.tail.length;
    if (chunks.length !== expected) {
      throw new Error(
        `${this.connection.label}: expected ${expected} stored chunks for ${upload.recordId}, found ${chunks.length}.`,
      );
    }
    return { chunks, transactions };
  }

  /** Addresses of the chunks a receipt's ChunkStored events announce for `recordId`, in order. */
  private chunksIn(recordId: string, receipt: MinedReceipt): string[] {
    return this.registryLogs(receipt, this.chunkStoredTopic, recordId).map((log) => topicAddress(log.topics[3]));
  }

  /** The registry's logs of one event for one record id (its first indexed argument). */
  private registryLogs(receipt: MinedReceipt, topic: string, recordId: string): ReceiptLog[] {
    const registry = this.connection.settings.registryAddress.toLowerCase();
    return receipt.logs.filter(
      (log) =>
        log.address.toLowerCase() === registry &&
        log.topics[0]?.toLowerCase() === topic &&
        log.topics[1]?.toLowerCase() === recordId,
    );
  }

  /**
   * The committed record, from what was sent and what the commit's receipt announces (RecordStored:
   * version and writer; ChunkStored: the chunks the commit deployed itself). A successful receipt of
   * the registry is the ledger's own word, so nothing is read back. createdAt is the block's
   * timestamp (the registry stores block.timestamp).
   */
  private async committedRecord(
    record: NewLedgerRecord,
    receipt: MinedReceipt,
    stored: StoredChunks,
    chunkCount: number,
  ): Promise<LedgerRecord> {
    const recordId = record.recordId.hex;
    const [announced] = this.registryLogs(receipt, this.recordStoredTopic, recordId);
    const chunks = [...stored.chunks, ...this.chunksIn(recordId, receipt)];
    if (!announced || chunks.length !== chunkCount) {
      throw new Error(
        `${this.connection.label}: the commit of ${recordId} (${receipt.hash}) did not announce the record.`,
      );
    }
    // RecordStored(bytes32 indexed recordId, bytes32 indexed patientKey, address indexed writer,
    //              uint256 version, address manifest, uint256 contentLength, bytes32 contentSha256)
    const version = Number(BigInt(dataSlice(announced.data, 0, WORD_BYTES)));
    const createdAtSeconds = receipt.blockTimestamp ?? (await this.blockTimestamp(receipt.blockHash));
    return {
      // Copies, like a read's (a caller's Buffer would otherwise be shared).
      ...storedFieldsOf(record),
      chain: this.connection.chain,
      version,
      contentLocation: chunks,
      createdAt: new Date(createdAtSeconds * 1_000),
      writer: topicAddress(announced.topics[3]),
      transactions: [...stored.transactions, receipt.hash],
      blockNumber: receipt.blockNumber,
    };
  }

  /** For nodes whose receipts carry no blockTimestamp: the block header's. */
  private async blockTimestamp(blockHash: string): Promise<number> {
    const { provider } = this.connection;
    const block = (await this.connection.rpc(() => provider.send('eth_getBlockByHash', [blockHash, false]))) as {
      timestamp: string;
    } | null;
    if (!block) throw unavailable(this.connection.chain, `block ${blockHash} is not available`);
    return Number(BigInt(block.timestamp));
  }

  private broadcast(call: RegistryCall): Promise<string> {
    return this.connection.broadcast({
      to: this.connection.settings.registryAddress,
      data: call.data,
      gasLimit: call.gasLimit,
    });
  }

  /** Waits for `confirmations`; a reverted transaction is diagnosed (RegistryReverts.diagnose). */
  private async confirmed(
    upload: Upload,
    call: RegistryCall,
    hash: string,
    confirmations: number,
  ): Promise<MinedReceipt> {
    const receipt = await this.connection.mined(hash, confirmations);
    if (receipt.status !== 1) return this.reverts.diagnose(upload, call, receipt);
    return receipt;
  }
}

/** The checksummed address held in an indexed `address` topic. */
function topicAddress(topic: string): string {
  return getAddress(`0x${topic.slice(TOPIC_ADDRESS_HEX_START)}`);
}
