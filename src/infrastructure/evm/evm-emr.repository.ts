import {
  CallExceptionError,
  dataSlice,
  getAddress,
  getBytes,
  hexlify,
  id as keccakId,
  isError,
  toQuantity,
  Wallet,
} from 'ethers';
import { ChainName, CHAIN_DISPLAY_NAMES } from '../../domain/chain-name';
import {
  LedgerRecord,
  NewLedgerRecord,
  PATIENT_KEY_BYTES,
  SHA256_BYTES,
  storedFieldsOf,
} from '../../domain/emr-record';
import {
  ChainUnavailableError,
  DuplicateRecordError,
  PayloadTooLargeError,
  ValidationFailedError,
} from '../../domain/errors';
import { EmrRepository, LedgerHealth, ListQuery } from '../../domain/ports/emr-repository.port';
import { RecordId } from '../../domain/record-id';
import { EmrRegistry, EmrRegistry__factory } from '../../../typechain-types';
import { MAX_CHUNK_BYTES, maxContentBytes, PlannedChunk, planUpload, UploadPlan } from './registry/chunk-plan';
import { ChunkAssembler, fetchCode } from './registry/chunk-reader';
import {
  assertValidSettings,
  EvmLedgerSettings,
  EvmLogger,
  LedgerMisconfiguredError,
  SILENT_LOGGER,
} from './connection/evm-ledger-settings';
import {
  isRevert,
  readWithRetry,
  revertData,
  toChainUnavailable,
  unavailable,
  withDeadline,
} from './connection/rpc-failures';
import { EvmAccessLedger } from './evm-access.ledger';
import { LedgerJsonRpcProvider } from './connection/ledger-json-rpc.provider';
import { encodeCommitRecord, encodeStoreChunks } from './registry/registry-calldata';
import { withTransactions } from './registry/record-transactions';
import { MinedReceipt, ReceiptLog, SendDeadlineExceededError, TransactionSender } from './tx/transaction-sender';

/** Chunk transactions of one upload in flight before waiting for the oldest receipt. */
const PIPELINE_DEPTH = 4;
/** Parallel eth_getCode calls when reading content back. */
const READ_CONCURRENCY = 16;
/** Largest page the registry returns (EmrRegistry.MAX_PAGE_SIZE). */
const MAX_PAGE_SIZE = 100;
/** bytes32 fields of the registry. */
const WORD_BYTES = 32;
const WRITER_ROLE = keccakId('WRITER_ROLE');
/** An address in a 32-byte topic: its last 20 bytes, after 0x and 24 hex digits of zeros. */
const TOPIC_ADDRESS_HEX_START = 2 + 24;

/** One upload, as its errors name it. */
interface Upload {
  readonly recordId: string;
  /** Largest content for its sealed fields: PayloadTooLargeError's figure. */
  readonly maxBytes: number;
}

/** One registry transaction's calldata and gas limit (see chunk-plan.ts). */
interface RegistryCall {
  readonly data: Uint8Array;
  readonly gasLimit: number;
}

/** What the storeChunks transactions of an upload left: chunk addresses in content order, their hashes. */
interface StoredChunks {
  readonly chunks: readonly string[];
  readonly transactions: readonly string[];
}

export interface EvmEmrRepositoryOptions {
  readonly logger?: EvmLogger;
  /**
   * Start even if the RPC cannot be reached now (the chain id and registry are then checked on
   * first contact, and every call fails with ChainUnavailableError until then). Default false:
   * an unreachable RPC at startup throws ChainUnavailableError.
   */
  readonly allowUnreachableAtStart?: boolean;
}

/**
 * The EmrRepository of one EVM ledger, backed by an EmrRegistry contract (contracts/EmrRegistry.sol).
 * Content ciphertext is stored as code-backed chunks (eth_getCode reads them back for free), the
 * record's other fields in the registry; a record becomes visible only with its final commit.
 * One class serves both chains: they differ only in {@link EvmLedgerSettings}.
 */
export class EvmEmrRepository extends EmrRepository {
  readonly chain: ChainName;
  private readonly provider: LedgerJsonRpcProvider;
  private readonly registry: EmrRegistry;
  private readonly chunkStoredTopic: string;
  private readonly recordStoredTopic: string;
  private readonly sender: TransactionSender;
  private readonly logger: EvmLogger;
  private readonly label: string;
  private verified: Promise<void> | null = null;
  private access: EvmAccessLedger | null = null;

  private constructor(
    private readonly settings: EvmLedgerSettings,
    logger: EvmLogger,
  ) {
    super();
    this.chain = settings.chain;
    this.logger = logger;
    this.label = `Ledger ${CHAIN_DISPLAY_NAMES[settings.chain]}`;
    // The chain id is checked in verify(), not probed by ethers.
    this.provider = LedgerJsonRpcProvider.connect(settings.rpcUrl, settings.expectedChainId, settings.timeoutMs);
    this.registry = EmrRegistry__factory.connect(settings.registryAddress, this.provider);
    this.chunkStoredTopic = this.registry.interface.getEvent('ChunkStored').topicHash;
    this.recordStoredTopic = this.registry.interface.getEvent('RecordStored').topicHash;
    const wallet = new Wallet(settings.signerPrivateKey, this.provider);
    this.sender = new TransactionSender(this.provider, wallet, BigInt(settings.expectedChainId));
  }

  /**
   * Connects to the ledger and checks it before use: the RPC's chain id must equal
   * `expectedChainId`, the registry must exist and the signer must hold WRITER_ROLE; otherwise
   * LedgerMisconfiguredError (naming the ledger). An unreachable RPC gives ChainUnavailableError
   * unless `allowUnreachableAtStart`.
   */
  static async connect(settings: EvmLedgerSettings, options: EvmEmrRepositoryOptions = {}): Promise<EvmEmrRepository> {
    assertValidSettings(settings);
    const repository = new EvmEmrRepository(settings, options.logger ?? SILENT_LOGGER);
    try {
      await repository.ensureVerified();
    } catch (error) {
      if (error instanceof ChainUnavailableError && options.allowUnreachableAtStart) {
        repository.logger.warn(`${repository.label} is unreachable at startup; it will be checked on first use.`);
        return repository;
      }
      await repository.close();
      throw error;
    }
    return repository;
  }

  /** The account that signs this ledger's transactions (public). */
  get signerAddress(): string {
    return this.sender.address;
  }

  get registryAddress(): string {
    return this.settings.registryAddress;
  }

  /** The JSON-RPC endpoint (diagnostics and tests; may embed a provider key, so never log it). */
  get rpcUrl(): string {
    return this.settings.rpcUrl;
  }

  /** The same chain's PatientAccessRegistry, through this repository's provider and signer queue. */
  accessLedger(): EvmAccessLedger {
    this.access ??= new EvmAccessLedger(this.settings, this.provider, this.sender, this.logger);
    return this.access;
  }

  /** Releases the RPC connection; the repository is unusable afterwards. */
  async close(): Promise<void> {
    this.provider.destroy();
  }

  // ------------------------------------------------------------------ writes

  async append(record: NewLedgerRecord): Promise<LedgerRecord> {
    assertBytes(record.patientKey, PATIENT_KEY_BYTES, 'patientKey');
    assertBytes(record.contentSha256, SHA256_BYTES, 'contentSha256');
    assertBytes(record.signerKeyId, WORD_BYTES, 'signerKeyId');
    const sealedFieldsBytes = record.sealedHeader.length + record.keyEnvelope.length + record.signature.length;
    const maxBytes = maxContentBytes(sealedFieldsBytes);
    if (record.content.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
    await this.ensureVerified();

    const plan = planUpload(record.content.length, sealedFieldsBytes);
    const upload: Upload = { recordId: record.recordId.hex, maxBytes };
    const slice = (chunk: PlannedChunk): Uint8Array => record.content.subarray(chunk.start, chunk.end);

    // Dry run of the first storeChunks: a duplicate id or a revoked role fails here, decoded and
    // before any chunk is paid for. The commit gets no dry run: for a small record it is the only
    // transaction, and a dry run would double the ledger's work on every upload to save the gas of
    // a revert that almost never comes (state may move after a dry run anyway). A reverted commit
    // is diagnosed by replaying it (diagnoseRevert) and fails with the same errors.
    if (plan.batches.length > 0) {
      const first = encodeStoreChunks(record.recordId.bytes, 0, plan.batches[0].map(slice));
      await this.dryRun(upload, { data: first, gasLimit: plan.batchGasLimits[0] });
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
    const receipt = await this.transact(upload, commit, this.settings.confirmations);
    const committed = await this.committedRecord(record, receipt, stored, plan.chunks.length);
    this.logger.log(
      `${this.label}: record ${upload.recordId} committed as version ${committed.version} ` +
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
        `${this.label}: expected ${expected} stored chunks for ${upload.recordId}, found ${chunks.length}.`,
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
    const registry = this.settings.registryAddress.toLowerCase();
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
      throw new Error(`${this.label}: the commit of ${recordId} (${receipt.hash}) did not announce the record.`);
    }
    // RecordStored(bytes32 indexed recordId, bytes32 indexed patientKey, address indexed writer,
    //              uint256 version, address manifest, uint256 contentLength, bytes32 contentSha256)
    const version = Number(BigInt(dataSlice(announced.data, 0, WORD_BYTES)));
    const createdAtSeconds = receipt.blockTimestamp ?? (await this.blockTimestamp(receipt.blockHash));
    return {
      // Copies, like a read's (a caller's Buffer would otherwise be shared).
      ...storedFieldsOf(record),
      chain: this.chain,
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
    const block = (await this.rpc(() => this.provider.send('eth_getBlockByHash', [blockHash, false]))) as {
      timestamp: string;
    } | null;
    if (!block) throw unavailable(this.chain, `block ${blockHash} is not available`);
    return Number(BigInt(block.timestamp));
  }

  /** Signs, broadcasts and waits for `confirmations`; a reverted transaction is diagnosed. */
  private async transact(upload: Upload, call: RegistryCall, confirmations: number): Promise<MinedReceipt> {
    const hash = await this.broadcast(call);
    return this.confirmed(upload, call, hash, confirmations);
  }

  private async broadcast(call: RegistryCall): Promise<string> {
    const deadlineAt = Date.now() + this.settings.timeoutMs;
    const tx = { to: this.settings.registryAddress, data: call.data, gasLimit: call.gasLimit };
    try {
      return await withDeadline(this.sender.send(tx, deadlineAt), this.settings.timeoutMs, () =>
        unavailable(this.chain, 'the transaction could not be sent in time'),
      );
    } catch (error) {
      if (error instanceof SendDeadlineExceededError) {
        throw unavailable(this.chain, 'the transaction could not be sent in time');
      }
      this.logger.warn(`${this.label}: broadcast failed (${errorCode(error)}).`);
      throw toChainUnavailable(this.chain, error);
    }
  }

  private async confirmed(
    upload: Upload,
    call: RegistryCall,
    hash: string,
    confirmations: number,
  ): Promise<MinedReceipt> {
    const deadlineAt = Date.now() + this.settings.timeoutMs;
    let receipt: MinedReceipt | null;
    try {
      receipt = await withDeadline(
        this.sender.waitForReceipt(hash, confirmations, deadlineAt),
        this.settings.timeoutMs,
        () => unavailable(this.chain, `transaction ${hash} was not confirmed in time`),
      );
    } catch (error) {
      throw toChainUnavailable(this.chain, error);
    }
    if (!receipt) throw unavailable(this.chain, `transaction ${hash} was not confirmed in time`);
    if (receipt.status !== 1) return this.diagnoseRevert(upload, call, receipt);
    return receipt;
  }

  /** Runs `call` as a dry-run eth_call and turns the registry's custom errors into domain errors. */
  private async dryRun(upload: Upload, call: RegistryCall): Promise<void> {
    try {
      await this.ethCall(call, 'latest');
    } catch (error) {
      const name = this.registryErrorName(error);
      const refusal = this.refusal(upload, name);
      if (refusal) throw refusal;
      if (isRevert(error)) throw new Error(`${this.label}: the registry refused the upload (${name ?? 'no reason'}).`);
      throw error;
    }
  }

  /**
   * Names why a mined transaction reverted by replaying its call on the state its block left (a
   * rival commit of the same id, a revoked role are still there), and throws the matching error. A
   * replay that gives no reason (or cannot run) falls back to asking whether the record exists.
   */
  private async diagnoseRevert(upload: Upload, call: RegistryCall, receipt: MinedReceipt): Promise<never> {
    let name: string | null = null;
    try {
      await this.ethCall(call, toQuantity(receipt.blockNumber));
    } catch (error) {
      name = this.registryErrorName(error);
    }
    const refusal = this.refusal(upload, name);
    if (refusal) throw refusal;
    if (await this.rpc(() => this.registry.recordExists(upload.recordId))) throw duplicate(upload.recordId, this.chain);
    this.logger.error(
      `${this.label}: transaction ${receipt.hash} for record ${upload.recordId} reverted (${name ?? 'no reason'}).`,
    );
    throw new Error(`${this.label}: transaction ${receipt.hash} reverted.`);
  }

  /** The domain error a registry refusal stands for, or null when it stands for none. */
  private refusal(upload: Upload, errorName: string | null): Error | null {
    if (errorName === 'EmrRegistryRecordExists') return duplicate(upload.recordId, this.chain);
    if (errorName === 'EmrRegistryManifestTooLarge') return new PayloadTooLargeError(upload.maxBytes);
    if (errorName === 'AccessControlUnauthorizedAccount') {
      this.logger.error(`${this.label}: signer ${this.sender.address} lacks WRITER_ROLE on the registry.`);
      return new LedgerMisconfiguredError(this.chain, `signer ${this.sender.address} lacks WRITER_ROLE.`);
    }
    return null;
  }

  /** eth_call of the registry from the signer; a revert rejects with ethers' CALL_EXCEPTION. */
  private ethCall(call: RegistryCall, blockTag: string): Promise<unknown> {
    const request = {
      from: this.sender.address,
      to: this.settings.registryAddress,
      data: `0x${Buffer.from(call.data.buffer, call.data.byteOffset, call.data.length).toString('hex')}`,
      gas: toQuantity(call.gasLimit),
    };
    return this.rpc(() => this.provider.send('eth_call', [request, blockTag]));
  }

  /** The registry custom error (or AccessControl error) in a raw eth_call's revert data, if any. */
  private registryErrorName(error: unknown): string | null {
    const data = revertData(error);
    if (!data) return null;
    try {
      return this.registry.interface.parseError(data)?.name ?? null;
    } catch {
      return null;
    }
  }

  // ------------------------------------------------------------------- reads

  async list(patientKey: Uint8Array, query: ListQuery): Promise<LedgerRecord[]> {
    assertBytes(patientKey, PATIENT_KEY_BYTES, 'patientKey');
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE_SIZE) {
      throw new ValidationFailedError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
    }
    if (query.beforeVersion !== undefined && query.beforeVersion <= 1) return [];
    await this.ensureVerified();
    const [page] = await this.rpc(() => this.registry.recordsPage(patientKey, query.beforeVersion ?? 0, query.limit));
    return page.map((view) => this.toLedgerRecord(view));
  }

  async latest(patientKey: Uint8Array): Promise<LedgerRecord | null> {
    const [newest] = await this.list(patientKey, { limit: 1 });
    return newest ?? null;
  }

  override async withTransactions(records: readonly LedgerRecord[]): Promise<LedgerRecord[]> {
    await this.ensureVerified();
    const events = {
      registryAddress: this.settings.registryAddress,
      chunkStoredTopic: this.chunkStoredTopic,
      recordStoredTopic: this.recordStoredTopic,
    };
    return this.rpc(() => withTransactions(this.provider, events, records));
  }

  async findById(patientKey: Uint8Array, recordId: RecordId): Promise<LedgerRecord | null> {
    assertBytes(patientKey, PATIENT_KEY_BYTES, 'patientKey');
    await this.ensureVerified();
    try {
      const view = await this.rpc(() => this.registry.getRecord(recordId.hex));
      const record = this.toLedgerRecord(view);
      return hexlify(record.patientKey) === hexlify(patientKey) ? record : null;
    } catch (error) {
      if (revertName(error) === 'EmrRegistryUnknownRecord') return null;
      throw error;
    }
  }

  /**
   * Reads the chunks back with eth_getCode (no gas) in parallel, decoding each straight into the
   * one content buffer (chunk-reader.ts). A chunk that is not `0x00 || data`, or a total that
   * differs from `contentLength`, means the record does not point at what the registry wrote:
   * IntegrityCheckFailedError.
   */
  async readContent(record: LedgerRecord): Promise<Uint8Array> {
    await this.ensureVerified();
    const addresses = record.contentLocation;
    const assembler = new ChunkAssembler(record.contentLength, addresses.length);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < addresses.length && !failed) {
        const index = next++;
        try {
          const code = await this.rpc(() => fetchCode(this.settings.rpcUrl, addresses[index], this.settings.timeoutMs));
          assembler.add(index, code);
        } catch (error) {
          // The read is lost: the other workers stop after their request in flight.
          failed = true;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, addresses.length) }, worker));
    return assembler.finish();
  }

  async health(): Promise<LedgerHealth> {
    try {
      const [chainId, blockNumber] = await this.rpc(() =>
        Promise.all([this.provider.send('eth_chainId', []) as Promise<string>, this.provider.getBlockNumber()]),
      );
      const id = Number(BigInt(chainId));
      return { status: id === this.settings.expectedChainId ? 'up' : 'down', chainId: id, blockNumber };
    } catch {
      return { status: 'down', chainId: null, blockNumber: null };
    }
  }

  // ----------------------------------------------------------------- helpers

  /** Checks chain id, registry code and signer role once, on first successful contact. */
  private ensureVerified(): Promise<void> {
    if (!this.verified) {
      this.verified = this.verify();
      // A failed check (RPC down) is retried by the next call.
      this.verified.catch(() => {
        this.verified = null;
      });
    }
    return this.verified;
  }

  private async verify(): Promise<void> {
    const chainId = Number(BigInt(await this.rpc(() => this.provider.send('eth_chainId', []) as Promise<string>)));
    if (chainId !== this.settings.expectedChainId) {
      const message = `the RPC serves chain id ${chainId}, expected ${this.settings.expectedChainId}; refusing to use it.`;
      this.logger.error(`${this.label}: ${message}`);
      throw new LedgerMisconfiguredError(this.chain, message);
    }
    const code = await this.rpc(() => this.provider.getCode(this.settings.registryAddress));
    if (code === '0x') {
      throw new LedgerMisconfiguredError(
        this.chain,
        `no contract at registry address ${this.settings.registryAddress}.`,
      );
    }
    const [isWriter, maxChunk] = await this.rpc(() =>
      Promise.all([this.registry.hasRole(WRITER_ROLE, this.sender.address), this.registry.MAX_CHUNK_BYTES()]),
    ).catch((error: unknown) => {
      if (error instanceof ChainUnavailableError) throw error;
      throw new LedgerMisconfiguredError(
        this.chain,
        `the contract at ${this.settings.registryAddress} is not an EmrRegistry.`,
      );
    });
    if (maxChunk !== BigInt(MAX_CHUNK_BYTES)) {
      throw new LedgerMisconfiguredError(
        this.chain,
        `the registry's chunk size ${maxChunk} differs from ${MAX_CHUNK_BYTES}.`,
      );
    }
    if (!isWriter) {
      throw new LedgerMisconfiguredError(
        this.chain,
        `signer ${this.sender.address} lacks WRITER_ROLE on registry ${this.settings.registryAddress}.`,
      );
    }
    this.logger.log(
      `${this.label}: chain ${chainId}, registry ${this.settings.registryAddress}, signer ${this.sender.address}.`,
    );
  }

  /**
   * One read under the deadline, transient failures retried with backoff (readWithRetry). Contract
   * reverts pass through (callers decode them); anything else becomes ChainUnavailableError.
   */
  private rpc<T>(call: () => Promise<T>): Promise<T> {
    return readWithRetry(this.chain, this.settings.timeoutMs, call);
  }

  private toLedgerRecord(view: EmrRegistry.RecordViewStructOutput, transactions: string[] = []): LedgerRecord {
    return {
      chain: this.chain,
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
      transactions,
      blockNumber: Number(view.blockNumber),
    };
  }
}

function assertBytes(value: Uint8Array, length: number, field: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new ValidationFailedError(`${field} must be ${length} bytes.`, field);
  }
}

function duplicate(recordId: string, chain: ChainName): DuplicateRecordError {
  return new DuplicateRecordError(
    `Record ${recordId} already exists on ${CHAIN_DISPLAY_NAMES[chain]}; records are never overwritten.`,
  );
}

/** The registry custom error (or AccessControl error) a revert carried, decoded by ethers. */
function revertName(error: unknown): string | null {
  if (!isError(error, 'CALL_EXCEPTION')) return null;
  return (error as CallExceptionError).revert?.name ?? null;
}

/** The checksummed address held in an indexed `address` topic. */
function topicAddress(topic: string): string {
  return getAddress(`0x${topic.slice(TOPIC_ADDRESS_HEX_START)}`);
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
