import { getBytes, hexlify, id, sha256, ZeroHash } from 'ethers';
import { PatientAccessRegistry, PatientAccessRegistry__factory } from '../../../typechain-types';
import { AccessKind, LedgerAccessEntry } from '../../domain/access-log';
import { ChainName } from '../../domain/chain-name';
import { concatBytes } from '../../domain/bytes';
import { LedgerConsent } from '../../domain/consent';
import { ConsentDomain } from '../../domain/consent-message';
import {
  ChainUnavailableError,
  KeysAlreadyRegisteredError,
  KeysNotRegisteredError,
  ValidationFailedError,
} from '../../domain/errors';
import {
  AccessLedger,
  AccessLogQuery,
  checkEpochData,
  checkEpochSlot,
  checkPatientKey,
  checkRecordKeyEntries,
  checkSigningPublicKey,
  ConsentChange,
  consentRefused,
  Epoch,
  EpochData,
  EpochKey,
  PositionedAccessEntry,
  RecordKeyEntry,
  SignedChange,
  tooManyRecordKeys,
} from '../../domain/ports/access-ledger.port';
import { RecordId } from '../../domain/record-id';
import { CheckedOnce } from './connection/checked-once';
import { EvmConnection } from './connection/evm-connection';
import { LedgerMisconfiguredError } from './connection/evm-ledger-settings';
import { isRevert, revertData } from './connection/rpc-failures';
import { splitRecordKeys } from './record-key-batches';
import { MinedReceipt } from './tx/transaction-sender';

/** On-chain encoding of an access's kind (PatientAccessRegistry.MAX_ACCESS_KIND = 2). */
const KIND_CODES: Record<AccessKind, number> = { 'own-upload': 0, consent: 1, emergency: 2 };
const KINDS: AccessKind[] = ['own-upload', 'consent', 'emergency'];
const WRITER_ROLE = id('WRITER_ROLE');
/** Entries per appendAccessLog transaction: ~0.35M gas each keeps a batch far under the 16,777,216 cap. */
export const ACCESS_LOG_BATCH = 16;
/** Gas margin over eth_estimateGas: state can change between estimate and inclusion. */
const GAS_MARGIN_NUMERATOR = 5n;
const GAS_MARGIN_DENOMINATOR = 4n;
const SECOND_MS = 1000;
const SEC1_PREFIX = 0x04;
const COORDINATE_BYTES = 32;

type Method =
  | 'publishPublicKey'
  | 'registerPatientKey'
  | 'grantConsent'
  | 'revokeConsent'
  | 'replacePatientKey'
  | 'appendAccessLog'
  | 'addRecordKeys';

/**
 * The patient-centric registry of one chain (keys, consents, access log, added record keys). It
 * runs on the chain's EvmConnection, the one the record repository uses, so the two share one
 * signer queue and never race for a nonce.
 */
export class EvmAccessLedger extends AccessLedger {
  readonly chain: ChainName;
  private readonly registry: PatientAccessRegistry;
  private readonly verification = new CheckedOnce(() => this.verify());
  /** The block the access registry was deployed in: where its event queries start. */
  private deployedAt: Promise<number> | null = null;

  constructor(private readonly connection: EvmConnection) {
    super();
    this.chain = connection.chain;
    this.registry = PatientAccessRegistry__factory.connect(
      connection.settings.accessRegistryAddress,
      connection.provider,
    );
  }

  async publishPublicKey(subjectKey: Uint8Array, publicKey: Uint8Array): Promise<void> {
    await this.send('publishPublicKey', [subjectKey, publicKey]);
  }

  async publicKeyOf(subjectKey: Uint8Array): Promise<Uint8Array | null> {
    const key = getBytes(await this.read(() => this.registry.publicKeyOf(subjectKey)));
    return key.length > 0 ? key : null;
  }

  async consentDomain(): Promise<ConsentDomain> {
    const { settings } = this.connection;
    return { chainId: BigInt(settings.expectedChainId), registry: settings.accessRegistryAddress };
  }

  async registerPatientKey(patientKey: Uint8Array, signingPublicKey: Uint8Array, epoch: EpochData): Promise<void> {
    checkPatientKey(patientKey);
    if (signingPublicKey.length !== 1 + 2 * COORDINATE_BYTES || signingPublicKey[0] !== SEC1_PREFIX) {
      throw new ValidationFailedError('signingPublicKey must be a SEC 1 uncompressed P-256 key.', 'signingPublicKey');
    }
    checkEpochData(epoch);
    const x = signingPublicKey.subarray(1, 1 + COORDINATE_BYTES);
    const y = signingPublicKey.subarray(1 + COORDINATE_BYTES);
    await this.send('registerPatientKey', [patientKey, x, y, epoch.publicKey, epoch.slots]);
  }

  async patientSigningKey(patientKey: Uint8Array): Promise<Uint8Array | null> {
    const [x, y] = await this.read(() => this.registry.patientSigningKey(patientKey));
    if (x === ZeroHash && y === ZeroHash) return null;
    return concatBytes(Uint8Array.of(SEC1_PREFIX), getBytes(x), getBytes(y));
  }

  async consentNonce(patientKey: Uint8Array): Promise<bigint> {
    return this.read(() => this.registry.consentNonce(patientKey));
  }

  async grantConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    signed: SignedChange,
    epochSlot: Uint8Array,
  ): Promise<LedgerConsent> {
    const receipt = await this.send('grantConsent', grantArgs(patientKey, providerKey, expiresAt, signed, epochSlot));
    const consent = await this.read(() =>
      this.registry.consentOf(patientKey, providerKey, { blockTag: receipt.blockNumber }),
    );
    return toConsent(patientKey, providerKey, consent);
  }

  /** eth_estimateGas runs the call as a transaction would, refusals included, and writes nothing. */
  async checkGrantConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    signed: SignedChange,
    epochSlot: Uint8Array,
  ): Promise<void> {
    checkEpochSlot(epochSlot);
    await this.estimate('grantConsent', grantArgs(patientKey, providerKey, expiresAt, signed, epochSlot));
  }

  async revokeConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    signed: SignedChange,
    newEpoch: EpochData,
  ): Promise<void> {
    checkEpochData(newEpoch);
    await this.send('revokeConsent', revokeArgs(patientKey, providerKey, signed, newEpoch));
  }

  async checkRevokeConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    signed: SignedChange,
    newEpoch: EpochData,
  ): Promise<void> {
    checkEpochData(newEpoch);
    await this.estimate('revokeConsent', revokeArgs(patientKey, providerKey, signed, newEpoch));
  }

  async replacePatientKey(
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    signed: SignedChange,
  ): Promise<void> {
    checkSigningPublicKey(newSigningPublicKey);
    await this.send('replacePatientKey', replaceArgs(patientKey, newSigningPublicKey, signed));
  }

  async checkReplacePatientKey(
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    signed: SignedChange,
  ): Promise<void> {
    checkSigningPublicKey(newSigningPublicKey);
    await this.estimate('replacePatientKey', replaceArgs(patientKey, newSigningPublicKey, signed));
  }

  /**
   * Public keys and slot hashes from the views; the slot bytes from EpochSlotAdded events (logs are
   * cheap, storage is not), each kept only when its SHA-256 is the one stored at its index.
   */
  async epochs(patientKey: Uint8Array): Promise<Epoch[]> {
    checkPatientKey(patientKey);
    const count = Number(await this.read(() => this.registry.epochCount(patientKey)));
    if (count === 0) return [];
    const fromBlock = await this.deploymentBlock();
    const events = await this.read(() =>
      this.registry.queryFilter(this.registry.filters.EpochSlotAdded(patientKey), fromBlock),
    );
    const slotsByEpoch = new Map<number, Map<number, Uint8Array>>();
    for (const event of events) {
      const epoch = Number(event.args.epoch);
      const bySlot = slotsByEpoch.get(epoch) ?? new Map<number, Uint8Array>();
      bySlot.set(Number(event.args.index), getBytes(event.args.slot));
      slotsByEpoch.set(epoch, bySlot);
    }
    const epochs: Epoch[] = [];
    for (let index = 0; index < count; index++) {
      const [publicKey, hashes] = await Promise.all([
        this.read(() => this.registry.epochPublicKey(patientKey, index)),
        this.read(() => this.registry.epochSlotHashes(patientKey, index)),
      ]);
      const found = slotsByEpoch.get(index);
      const slots = Array.from(hashes).flatMap((hash, position) => {
        const slot = found?.get(position);
        return slot && sha256(slot) === hash ? [slot] : [];
      });
      epochs.push({ index, publicKey: getBytes(publicKey), slots });
    }
    return epochs;
  }

  async currentEpoch(patientKey: Uint8Array): Promise<EpochKey | null> {
    checkPatientKey(patientKey);
    const count = Number(await this.read(() => this.registry.epochCount(patientKey)));
    if (count === 0) return null;
    const publicKey = await this.read(() => this.registry.epochPublicKey(patientKey, count - 1));
    return { index: count - 1, publicKey: getBytes(publicKey) };
  }

  /** ConsentGranted and ConsentRevoked events of the patient, in chain order, with their blocks' times. */
  async consentHistory(patientKey: Uint8Array): Promise<ConsentChange[]> {
    checkPatientKey(patientKey);
    const fromBlock = await this.deploymentBlock();
    const [grants, revokes] = await Promise.all([
      this.read(() => this.registry.queryFilter(this.registry.filters.ConsentGranted(patientKey), fromBlock)),
      this.read(() => this.registry.queryFilter(this.registry.filters.ConsentRevoked(patientKey), fromBlock)),
    ]);
    const times = new Map<number, Promise<Date>>();
    const timeOf = (blockNumber: number): Promise<Date> => {
      let time = times.get(blockNumber);
      if (!time) {
        time = this.read(() => this.connection.provider.getBlock(blockNumber)).then(
          (block) => new Date(Number(block?.timestamp ?? 0) * SECOND_MS),
        );
        times.set(blockNumber, time);
      }
      return time;
    };
    const changes = [
      ...grants.map((event) => ({
        order: [event.blockNumber, event.index],
        change: async (): Promise<ConsentChange> => ({
          action: 'grant',
          providerKey: getBytes(event.args.providerKey),
          expiresAt: event.args.expiresAt === 0n ? null : new Date(Number(event.args.expiresAt) * SECOND_MS),
          nonce: event.args.nonce,
          message: getBytes(event.args.message),
          r: getBytes(event.args.r),
          s: getBytes(event.args.s),
          at: await timeOf(event.blockNumber),
          transaction: event.transactionHash,
        }),
      })),
      ...revokes.map((event) => ({
        order: [event.blockNumber, event.index],
        change: async (): Promise<ConsentChange> => ({
          action: 'revoke',
          providerKey: getBytes(event.args.providerKey),
          expiresAt: null,
          nonce: event.args.nonce,
          message: getBytes(event.args.message),
          r: getBytes(event.args.r),
          s: getBytes(event.args.s),
          at: await timeOf(event.blockNumber),
          transaction: event.transactionHash,
        }),
      })),
    ].sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);
    return Promise.all(changes.map((entry) => entry.change()));
  }

  async consentFor(patientKey: Uint8Array, providerKey: Uint8Array): Promise<LedgerConsent | null> {
    const consent = await this.read(() => this.registry.consentOf(patientKey, providerKey));
    return consent.active ? toConsent(patientKey, providerKey, consent) : null;
  }

  async consentsOf(patientKey: Uint8Array): Promise<LedgerConsent[]> {
    const [providers, consents] = await this.read(() => this.registry.consentsOf(patientKey));
    // ethers' Result is an Array subclass whose species constructor breaks flatMap/filter on an
    // empty result: copy into plain arrays first.
    const active = Array.from(consents);
    return Array.from(providers).flatMap((provider, index) =>
      active[index].active ? [toConsent(patientKey, getBytes(provider), active[index])] : [],
    );
  }

  async appendAccessLog(entries: readonly LedgerAccessEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += ACCESS_LOG_BATCH) {
      const batch = entries.slice(start, start + ACCESS_LOG_BATCH).map((entry) => ({
        patientKey: entry.patientKey,
        accessorKey: entry.accessorKey,
        recordId: entry.recordId ? entry.recordId.hex : ZeroHash,
        readAt: Math.floor(entry.at.getTime() / SECOND_MS),
        kind: KIND_CODES[entry.kind],
        sealedNote: entry.sealedNote,
      }));
      await this.send('appendAccessLog', [batch]);
    }
  }

  async accessLog(patientKey: Uint8Array, query: AccessLogQuery): Promise<PositionedAccessEntry[]> {
    const before = query.beforePosition ?? 0;
    const [entries, positions] = await this.read(() =>
      query.emergencyOnly
        ? this.registry.emergencyLogPage(patientKey, before, query.limit)
        : this.registry.accessLogPage(patientKey, before, query.limit),
    );
    return Array.from(entries).map((entry, index) => ({
      patientKey: getBytes(entry.patientKey),
      accessorKey: getBytes(entry.accessorKey),
      recordId: entry.recordId === ZeroHash ? null : RecordId.fromBytes(getBytes(entry.recordId)),
      kind: KINDS[Number(entry.kind)] ?? 'consent',
      at: new Date(Number(entry.readAt) * SECOND_MS),
      sealedNote: getBytes(entry.sealedNote),
      position: Number(positions[index]),
    }));
  }

  async emergencyCount(patientKey: Uint8Array): Promise<number> {
    return Number(await this.read(() => this.registry.emergencyCount(patientKey)));
  }

  /**
   * One transaction through the shared signer queue, unless the batch would pass the EIP-7825
   * per-transaction gas cap (record-key-batches.ts): then as few as fit, in order, and a refusal of
   * a later one (a record already full) leaves the earlier ones written.
   */
  async addRecordKeys(entries: readonly RecordKeyEntry[]): Promise<void> {
    checkRecordKeyEntries(entries);
    for (const batch of splitRecordKeys(entries)) {
      await this.send('addRecordKeys', [
        batch.map((entry) => ({
          patientKey: entry.patientKey,
          recordId: entry.recordId.hex,
          keyEnvelope: entry.keyEnvelope,
        })),
      ]);
    }
  }

  async recordKeysOf(patientKey: Uint8Array, recordId: RecordId): Promise<Uint8Array[]> {
    checkPatientKey(patientKey);
    const envelopes = await this.read(() => this.registry.recordKeysOf(patientKey, recordId.hex));
    return Array.from(envelopes, (envelope) => getBytes(envelope));
  }

  /** Encodes, estimates, signs through the shared queue and waits for `confirmations`. */
  private async send(method: Method, args: unknown[]): Promise<MinedReceipt> {
    const { data, estimate } = await this.estimate(method, args);
    const { settings, label } = this.connection;
    const gasLimit = Number((estimate * GAS_MARGIN_NUMERATOR) / GAS_MARGIN_DENOMINATOR);
    // The send and the wait for its receipt share one deadline.
    const deadlineAt = Date.now() + settings.timeoutMs;
    const hash = await this.connection.broadcast(
      { to: settings.accessRegistryAddress, data: getBytes(data), gasLimit },
      deadlineAt,
    );
    const receipt = await this.connection.mined(hash, settings.confirmations, deadlineAt);
    if (receipt.status !== 1) throw new Error(`${label}: ${method} transaction ${hash} reverted.`);
    return receipt;
  }

  /** The call's calldata and gas estimate: a revert becomes the domain error its custom error stands for. */
  private async estimate(method: Method, args: unknown[]): Promise<{ data: string; estimate: bigint }> {
    await this.verification.run();
    const { provider, settings } = this.connection;
    const to = settings.accessRegistryAddress;
    const data = (
      this.registry.interface as { encodeFunctionData(name: string, values: unknown[]): string }
    ).encodeFunctionData(method, args);
    const from = this.connection.signerAddress;
    const estimate = await this.connection
      .rpc(() => provider.estimateGas({ from, to, data }))
      .catch((error: unknown) => {
        if (!isRevert(error)) throw error;
        throw this.refusal(method, error);
      });
    return { data, estimate };
  }

  /** The domain error for a revert of `method`, by the registry's custom error. */
  private refusal(method: Method, error: unknown): Error {
    const parsed = this.parseRevert(error);
    switch (parsed?.name) {
      case 'PatientAccessRegistryTooManyRecordKeys':
        return tooManyRecordKeys();
      case 'PatientAccessRegistryBadSignature':
        return consentRefused(this.chain, 'bad signature');
      case 'PatientAccessRegistryStaleNonce':
        return consentRefused(this.chain, `stale nonce (expected ${parsed.args[0]}, given ${parsed.args[1]})`);
      case 'PatientAccessRegistryHighS':
        return consentRefused(this.chain, 'high s');
      case 'PatientAccessRegistrySignatureOutOfRange':
        return consentRefused(this.chain, 'out of range');
      case 'PatientAccessRegistryNoPatientKey':
        return new KeysNotRegisteredError('The patient has no signing key on this ledger.');
      case 'PatientAccessRegistryKeyAlreadyRegistered':
        return new KeysAlreadyRegisteredError('The patient has a signing key on this ledger.');
      case 'PatientAccessRegistryExpiryInPast':
        return new ValidationFailedError('expiresAt must be in the future.', 'expiresAt');
      case 'PatientAccessRegistryBadEpochKey':
      case 'PatientAccessRegistryNoEpochSlots':
      case 'PatientAccessRegistryBadKeyEnvelope':
        return new ValidationFailedError(
          `${this.connection.label} refused the epoch data of the ${method} call.`,
          'epoch',
        );
      case 'PatientAccessRegistryBadSigningKey':
        return new ValidationFailedError('signingPublicKey has a zero coordinate.', 'signingPublicKey');
      default:
        return new ValidationFailedError(`${this.connection.label} refused the ${method} call.`);
    }
  }

  /**
   * The first block holding the registry's code (binary search over eth_getCode at past blocks,
   * ~log2(height) calls, once): event queries start there rather than at genesis.
   */
  private deploymentBlock(): Promise<number> {
    this.deployedAt ??= this.findDeploymentBlock().catch((error: unknown) => {
      this.deployedAt = null;
      throw error;
    });
    return this.deployedAt;
  }

  private async findDeploymentBlock(): Promise<number> {
    const { provider, settings } = this.connection;
    const address = settings.accessRegistryAddress;
    let high = await this.read(() => provider.getBlockNumber());
    let low = 0;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      let code: string;
      try {
        code = await this.read(() => provider.getCode(address, middle));
      } catch (error) {
        // A node that keeps no state that old (anvil's --prune-history, a restart from its state
        // file, a non-archive node) cannot place the deployment: the events are read from genesis.
        if (error instanceof ChainUnavailableError) return 0;
        throw error;
      }
      if (code === '0x') low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The registry's custom error a revert carries, or null (no data, or not one of its errors). */
  private parseRevert(error: unknown): { name: string; args: readonly unknown[] } | null {
    const data = revertData(error);
    if (!data) return null;
    try {
      const parsed = this.registry.interface.parseError(data);
      return parsed ? { name: parsed.name, args: Array.from(parsed.args) } : null;
    } catch {
      // A known selector with garbled arguments: no reason we can name.
      return null;
    }
  }

  private async read<T>(call: () => Promise<T>): Promise<T> {
    await this.verification.run();
    return this.connection.rpc(call);
  }

  /**
   * The chain (EvmConnection.verifyChain), then the access registry: it must exist at the
   * configured address and the signer must be a writer.
   */
  private async verify(): Promise<void> {
    await this.connection.verifyChain();
    const { chain, label, signerAddress } = this.connection;
    const address = this.connection.settings.accessRegistryAddress;
    if ((await this.connection.rpc(() => this.connection.provider.getCode(address))) === '0x') {
      throw new LedgerMisconfiguredError(chain, `no contract at access registry address ${address}.`);
    }
    const isWriter = await this.connection
      .rpc(() => this.registry.hasRole(WRITER_ROLE, signerAddress))
      .catch((error: unknown) => {
        if (error instanceof ChainUnavailableError) throw error;
        throw new LedgerMisconfiguredError(chain, `the contract at ${address} is not a PatientAccessRegistry.`);
      });
    if (!isWriter) {
      throw new LedgerMisconfiguredError(chain, `signer ${signerAddress} lacks WRITER_ROLE on the access registry.`);
    }
    this.connection.logger.log(`${label}: access registry ${address}.`);
  }
}

function toConsent(
  patientKey: Uint8Array,
  providerKey: Uint8Array,
  consent: { grantedAt: bigint; expiresAt: bigint },
): LedgerConsent {
  return {
    patientKey: Uint8Array.from(patientKey),
    providerKey: Uint8Array.from(providerKey),
    grantedAt: new Date(Number(consent.grantedAt) * SECOND_MS),
    expiresAt: consent.expiresAt === 0n ? null : new Date(Number(consent.expiresAt) * SECOND_MS),
  };
}

function grantArgs(
  patientKey: Uint8Array,
  providerKey: Uint8Array,
  expiresAt: Date | null,
  signed: SignedChange,
  epochSlot: Uint8Array,
): unknown[] {
  const expiry = expiresAt ? Math.floor(expiresAt.getTime() / SECOND_MS) : 0;
  return [patientKey, providerKey, expiry, signed.nonce, hexlify(signed.r), hexlify(signed.s), epochSlot];
}

function revokeArgs(
  patientKey: Uint8Array,
  providerKey: Uint8Array,
  signed: SignedChange,
  epoch: EpochData,
): unknown[] {
  return [patientKey, providerKey, signed.nonce, hexlify(signed.r), hexlify(signed.s), epoch.publicKey, epoch.slots];
}

/** replacePatientKey(patientKey, newX, newY, nonce, r, s): the new key's affine coordinates from 0x04 | x | y. */
function replaceArgs(patientKey: Uint8Array, newSigningPublicKey: Uint8Array, signed: SignedChange): unknown[] {
  const x = newSigningPublicKey.subarray(1, 1 + COORDINATE_BYTES);
  const y = newSigningPublicKey.subarray(1 + COORDINATE_BYTES);
  return [patientKey, x, y, signed.nonce, hexlify(signed.r), hexlify(signed.s)];
}
