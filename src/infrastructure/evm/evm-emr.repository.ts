import {
  CallExceptionError,
  FetchRequest,
  getBytes,
  hexlify,
  id as keccakId,
  isError,
  JsonRpcProvider,
  Network,
  TransactionReceipt,
  Wallet,
} from 'ethers';
import { ChainName, CHAIN_DISPLAY_NAMES } from '../../domain/chain-name';
import { LedgerRecord, NewLedgerRecord, PATIENT_KEY_BYTES, SHA256_BYTES } from '../../domain/emr-record';
import {
  ChainUnavailableError,
  DuplicateRecordError,
  PayloadTooLargeError,
  ValidationFailedError,
} from '../../domain/errors';
import { EmrRepository, LedgerHealth, ListQuery } from '../../domain/ports/emr-repository.port';
import { RecordId } from '../../domain/record-id';
import { EmrRegistry, EmrRegistry__factory } from '../../../typechain-types';
import { MAX_CHUNK_BYTES, maxContentBytes, PlannedChunk, planUpload, UploadPlan } from './chunk-plan';
import { ChunkAssembler, fetchCode } from './chunk-reader';
import {
  assertValidSettings,
  EvmLedgerSettings,
  EvmLogger,
  LedgerMisconfiguredError,
  SILENT_LOGGER,
} from './evm-ledger-settings';
import { isRevert, toChainUnavailable, unavailable, withDeadline } from './rpc-failures';
import { EvmAccessLedger } from './evm-access.ledger';
import { SendDeadlineExceededError, TransactionSender } from './transaction-sender';

/** Chunk transactions of one upload in flight before waiting for the oldest receipt. */
const PIPELINE_DEPTH = 4;
/** Parallel eth_getCode calls when reading content back. */
const READ_CONCURRENCY = 16;
/** Largest page the registry returns (EmrRegistry.MAX_PAGE_SIZE). */
const MAX_PAGE_SIZE = 100;
/** bytes32 fields of the registry. */
const WORD_BYTES = 32;
const WRITER_ROLE = keccakId('WRITER_ROLE');

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
  private readonly provider: JsonRpcProvider;
  private readonly registry: EmrRegistry;
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
    const request = new FetchRequest(settings.rpcUrl);
    request.timeout = settings.timeoutMs;
    const network = Network.from(settings.expectedChainId);
    // staticNetwork: ethers must not probe (and retry forever on) an unreachable RPC; the chain id
    // is checked explicitly in verify(). batchStallTime 0: requests made in the same tick still
    // share one HTTP request, but none waits the default 10 ms for company. cacheTimeout -1: ethers
    // would otherwise answer a repeated query (nonce, receipt, height) from a 250 ms cache.
    this.provider = new JsonRpcProvider(request, network, {
      staticNetwork: network,
      batchStallTime: 0,
      cacheTimeout: -1,
    });
    this.registry = EmrRegistry__factory.connect(settings.registryAddress, this.provider);
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
    const recordId = record.recordId.hex;
    const slice = (chunk: PlannedChunk): Uint8Array => record.content.subarray(chunk.start, chunk.end);
    const input: EmrRegistry.RecordInputStruct = {
      patientKey: record.patientKey,
      recordId,
      contentSha256: record.contentSha256,
      signerKeyId: record.signerKeyId,
      contentLength: record.content.length,
      chunks: [],
      sealedHeader: record.sealedHeader,
      keyEnvelope: record.keyEnvelope,
      signature: record.signature,
    };

    // Dry run of the first transaction: a duplicate id or a revoked role fails here, decoded and
    // before any gas is spent.
    if (plan.batches.length > 0) {
      await this.preflight(recordId, maxBytes, () =>
        this.registry.storeChunks.staticCall(recordId, 0, plan.batches[0].map(slice), {
          from: this.sender.address,
          gasLimit: plan.batchGasLimits[0],
        }),
      );
    } else {
      await this.preflight(recordId, maxBytes, () =>
        this.registry.commitRecord.staticCall(input, plan.tail.map(slice), {
          from: this.sender.address,
          gasLimit: plan.commitGasLimit,
        }),
      );
    }

    const { chunks, transactions } = await this.storeChunks(recordId, plan, slice);
    const committed = { ...input, chunks };
    if (plan.batches.length > 0) {
      // State moved since the first dry run (another writer may have committed this id).
      await this.preflight(recordId, maxBytes, () =>
        this.registry.commitRecord.staticCall(committed, plan.tail.map(slice), {
          from: this.sender.address,
          gasLimit: plan.commitGasLimit,
        }),
      );
    }
    const data = this.registry.interface.encodeFunctionData('commitRecord', [committed, plan.tail.map(slice)]);
    const receipt = await this.transact(recordId, data, plan.commitGasLimit, this.settings.confirmations);
    transactions.push(receipt.hash);

    const view = await this.rpc(() => this.registry.getRecord(recordId, { blockTag: receipt.blockNumber }));
    this.logger.log(
      `${this.label}: record ${recordId} committed as version ${view.version} ` +
        `(${record.content.length} bytes, ${transactions.length} transactions, block ${receipt.blockNumber}).`,
    );
    return this.toLedgerRecord(view, transactions);
  }

  /** Sends the planned storeChunks batches, up to PIPELINE_DEPTH in flight, in order. */
  private async storeChunks(
    recordId: string,
    plan: UploadPlan,
    slice: (chunk: PlannedChunk) => Uint8Array,
  ): Promise<{ chunks: string[]; transactions: string[] }> {
    const transactions: string[] = [];
    const receipts: Promise<TransactionReceipt>[] = [];
    for (const [i, batch] of plan.batches.entries()) {
      if (i >= PIPELINE_DEPTH) await receipts[i - PIPELINE_DEPTH];
      const data = this.registry.interface.encodeFunctionData('storeChunks', [
        recordId,
        batch[0].index,
        batch.map(slice),
      ]);
      const hash = await this.broadcast(data, plan.batchGasLimits[i]);
      transactions.push(hash);
      const receipt = this.confirmed(recordId, hash, 1);
      // Handled here so a failure does not surface as an unhandled rejection while we await another.
      receipt.catch(() => undefined);
      receipts.push(receipt);
    }
    const chunks: string[] = [];
    for (const receipt of await Promise.all(receipts)) chunks.push(...this.chunksIn(recordId, receipt));
    const expected = plan.chunks.length - plan.tail.length;
    if (chunks.length !== expected) {
      throw new Error(`${this.label}: expected ${expected} stored chunks for ${recordId}, found ${chunks.length}.`);
    }
    return { chunks, transactions };
  }

  private chunksIn(recordId: string, receipt: TransactionReceipt): string[] {
    const chunks: string[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.settings.registryAddress.toLowerCase()) continue;
      const event = this.registry.interface.parseLog(log);
      if (event?.name === 'ChunkStored' && event.args.recordId === recordId) chunks.push(event.args.chunk as string);
    }
    return chunks;
  }

  /** Signs, broadcasts and waits for `confirmations`; a reverted transaction is diagnosed. */
  private async transact(recordId: string, data: string, gasLimit: number, confirmations: number) {
    const hash = await this.broadcast(data, gasLimit);
    return this.confirmed(recordId, hash, confirmations);
  }

  private async broadcast(data: string, gasLimit: number): Promise<string> {
    const deadlineAt = Date.now() + this.settings.timeoutMs;
    try {
      return await withDeadline(
        this.sender.send({ to: this.settings.registryAddress, data, gasLimit }, deadlineAt),
        this.settings.timeoutMs,
        () => unavailable(this.chain, 'the transaction could not be sent in time'),
      );
    } catch (error) {
      if (error instanceof SendDeadlineExceededError) {
        throw unavailable(this.chain, 'the transaction could not be sent in time');
      }
      this.logger.warn(`${this.label}: broadcast failed (${errorCode(error)}).`);
      throw toChainUnavailable(this.chain, error);
    }
  }

  private async confirmed(recordId: string, hash: string, confirmations: number): Promise<TransactionReceipt> {
    const deadlineAt = Date.now() + this.settings.timeoutMs;
    let receipt: TransactionReceipt | null;
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
    if (receipt.status !== 1) {
      if (await this.rpc(() => this.registry.recordExists(recordId))) throw duplicate(recordId, this.chain);
      this.logger.error(`${this.label}: transaction ${hash} for record ${recordId} reverted.`);
      throw new Error(`${this.label}: transaction ${hash} reverted.`);
    }
    return receipt;
  }

  /** Runs a dry-run eth_call and turns the registry's custom errors into domain errors. */
  private async preflight(recordId: string, maxBytes: number, call: () => Promise<unknown>): Promise<void> {
    try {
      await this.rpc(call);
    } catch (error) {
      const name = revertName(error);
      if (name === 'EmrRegistryRecordExists') throw duplicate(recordId, this.chain);
      if (name === 'EmrRegistryManifestTooLarge') throw new PayloadTooLargeError(maxBytes);
      if (name === 'AccessControlUnauthorizedAccount') {
        this.logger.error(`${this.label}: signer ${this.sender.address} lacks WRITER_ROLE on the registry.`);
        throw new LedgerMisconfiguredError(this.chain, `signer ${this.sender.address} lacks WRITER_ROLE.`);
      }
      if (isRevert(error)) throw new Error(`${this.label}: the registry refused the upload (${name ?? 'no reason'}).`);
      throw error;
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
   * One RPC round trip under the deadline. Contract reverts pass through (callers decode them);
   * anything else (refused connection, timeout, HTTP error) becomes ChainUnavailableError.
   */
  private async rpc<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(call(), this.settings.timeoutMs, () =>
        unavailable(this.chain, 'the RPC did not answer in time'),
      );
    } catch (error) {
      if (isRevert(error)) throw error;
      throw toChainUnavailable(this.chain, error);
    }
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

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
