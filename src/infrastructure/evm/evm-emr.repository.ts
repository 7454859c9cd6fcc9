import { hexlify } from 'ethers';
import { EmrRegistry, EmrRegistry__factory } from '../../../typechain-types';
import { ChainName } from '../../domain/chain-name';
import { LedgerRecord, NewLedgerRecord, PATIENT_KEY_BYTES, SHA256_BYTES } from '../../domain/emr-record';
import { ChainUnavailableError, PayloadTooLargeError, ValidationFailedError } from '../../domain/errors';
import { EmrRepository, LedgerHealth, ListQuery } from '../../domain/ports/emr-repository.port';
import { RecordId } from '../../domain/record-id';
import { CheckedOnce } from './connection/checked-once';
import { EvmConnection } from './connection/evm-connection';
import { EvmLedgerSettings, EvmLogger, SILENT_LOGGER } from './connection/evm-ledger-settings';
import { EvmAccessLedger } from './evm-access.ledger';
import { maxContentBytes } from './registry/chunk-plan';
import { ChunkAssembler, fetchCode } from './registry/chunk-reader';
import { withTransactions } from './registry/record-transactions';
import { toLedgerRecord } from './registry/record-view';
import { verifyEmrRegistry } from './registry/registry-checks';
import { RegistryReverts, revertName } from './registry/registry-reverts';
import { RegistryUploader } from './registry/registry-upload';

/** Parallel eth_getCode calls when reading content back. */
const READ_CONCURRENCY = 16;
/** Largest page the registry returns (EmrRegistry.MAX_PAGE_SIZE). */
const MAX_PAGE_SIZE = 100;
/** bytes32 fields of the registry. */
const WORD_BYTES = 32;

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
 * record's other fields in the registry; a record becomes visible only with its final commit
 * (registry/registry-upload.ts). One class serves both chains: they differ only in
 * {@link EvmLedgerSettings}.
 */
export class EvmEmrRepository extends EmrRepository {
  readonly chain: ChainName;
  private readonly registry: EmrRegistry;
  private readonly uploader: RegistryUploader;
  private readonly verification: CheckedOnce;
  private access: EvmAccessLedger | null = null;

  constructor(private readonly connection: EvmConnection) {
    super();
    this.chain = connection.chain;
    this.registry = EmrRegistry__factory.connect(connection.settings.registryAddress, connection.provider);
    this.uploader = new RegistryUploader(connection, this.registry, new RegistryReverts(connection, this.registry));
    this.verification = new CheckedOnce(() => verifyEmrRegistry(connection, this.registry));
  }

  /**
   * Connects to the ledger and checks it before use: the RPC's chain id must equal
   * `expectedChainId`, the registry must exist and the signer must hold WRITER_ROLE; otherwise
   * LedgerMisconfiguredError (naming the ledger). An unreachable RPC gives ChainUnavailableError
   * unless `allowUnreachableAtStart`.
   */
  static async connect(settings: EvmLedgerSettings, options: EvmEmrRepositoryOptions = {}): Promise<EvmEmrRepository> {
    const connection = EvmConnection.open(settings, options.logger ?? SILENT_LOGGER);
    const repository = new EvmEmrRepository(connection);
    try {
      await repository.verification.run();
    } catch (error) {
      if (error instanceof ChainUnavailableError && options.allowUnreachableAtStart) {
        connection.logger.warn(`${connection.label} is unreachable at startup; it will be checked on first use.`);
        return repository;
      }
      await repository.close();
      throw error;
    }
    return repository;
  }

  /** The account that signs this ledger's transactions (public). */
  get signerAddress(): string {
    return this.connection.signerAddress;
  }

  get registryAddress(): string {
    return this.connection.settings.registryAddress;
  }

  /** The JSON-RPC endpoint (diagnostics and tests; may embed a provider key, so never log it). */
  get rpcUrl(): string {
    return this.connection.settings.rpcUrl;
  }

  /** The same chain's PatientAccessRegistry, on this repository's connection (one signer queue). */
  accessLedger(): EvmAccessLedger {
    this.access ??= new EvmAccessLedger(this.connection);
    return this.access;
  }

  /** Releases the RPC connection; the repository (and its access ledger) are unusable afterwards. */
  async close(): Promise<void> {
    this.connection.close();
  }

  async append(record: NewLedgerRecord): Promise<LedgerRecord> {
    assertBytes(record.patientKey, PATIENT_KEY_BYTES, 'patientKey');
    assertBytes(record.contentSha256, SHA256_BYTES, 'contentSha256');
    assertBytes(record.signerKeyId, WORD_BYTES, 'signerKeyId');
    const sealedFieldsBytes = record.sealedHeader.length + record.keyEnvelope.length + record.signature.length;
    const maxBytes = maxContentBytes(sealedFieldsBytes);
    if (record.content.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
    await this.verification.run();
    return this.uploader.upload(record, sealedFieldsBytes, { recordId: record.recordId.hex, maxBytes });
  }

  async list(patientKey: Uint8Array, query: ListQuery): Promise<LedgerRecord[]> {
    assertBytes(patientKey, PATIENT_KEY_BYTES, 'patientKey');
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE_SIZE) {
      throw new ValidationFailedError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
    }
    if (query.beforeVersion !== undefined && query.beforeVersion <= 1) return [];
    await this.verification.run();
    const [page] = await this.connection.rpc(() =>
      this.registry.recordsPage(patientKey, query.beforeVersion ?? 0, query.limit),
    );
    return page.map((view) => toLedgerRecord(this.chain, view));
  }

  async latest(patientKey: Uint8Array): Promise<LedgerRecord | null> {
    const [newest] = await this.list(patientKey, { limit: 1 });
    return newest ?? null;
  }

  override async withTransactions(records: readonly LedgerRecord[]): Promise<LedgerRecord[]> {
    await this.verification.run();
    return this.connection.rpc(() => withTransactions(this.connection.provider, this.uploader.events, records));
  }

  async findById(patientKey: Uint8Array, recordId: RecordId): Promise<LedgerRecord | null> {
    assertBytes(patientKey, PATIENT_KEY_BYTES, 'patientKey');
    await this.verification.run();
    try {
      const view = await this.connection.rpc(() => this.registry.getRecord(recordId.hex));
      const record = toLedgerRecord(this.chain, view);
      return hexlify(record.patientKey) === hexlify(patientKey) ? record : null;
    } catch (error) {
      if (revertName(error) === 'EmrRegistryUnknownRecord') return null;
      throw error;
    }
  }

  /**
   * Reads the chunks back with eth_getCode (no gas) in parallel, decoding each straight into the
   * one content buffer (registry/chunk-reader.ts). A chunk that is not `0x00 || data`, or a total
   * that differs from `contentLength`, means the record does not point at what the registry wrote:
   * IntegrityCheckFailedError.
   */
  async readContent(record: LedgerRecord): Promise<Uint8Array> {
    await this.verification.run();
    const { rpcUrl, timeoutMs } = this.connection.settings;
    const addresses = record.contentLocation;
    const assembler = new ChunkAssembler(record.contentLength, addresses.length);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < addresses.length && !failed) {
        const index = next++;
        try {
          const code = await this.connection.rpc(() => fetchCode(rpcUrl, addresses[index], timeoutMs));
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

  health(): Promise<LedgerHealth> {
    return this.connection.health();
  }
}

function assertBytes(value: Uint8Array, length: number, field: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new ValidationFailedError(`${field} must be ${length} bytes.`, field);
  }
}
