import { getBytes, id, ZeroHash } from 'ethers';
import { PatientAccessRegistry, PatientAccessRegistry__factory } from '../../../typechain-types';
import { AccessKind, LedgerAccessEntry } from '../../domain/access-log';
import { ChainName } from '../../domain/chain-name';
import { LedgerConsent } from '../../domain/consent';
import { ChainUnavailableError, ValidationFailedError } from '../../domain/errors';
import {
  AccessLedger,
  AccessLogQuery,
  checkPatientKey,
  checkRecordKeyEntries,
  PositionedAccessEntry,
  RecordKeyEntry,
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

/**
 * The patient-centric registry of one chain (keys, consents, access log, added record keys). It
 * runs on the chain's EvmConnection, the one the record repository uses, so the two share one
 * signer queue and never race for a nonce.
 */
export class EvmAccessLedger extends AccessLedger {
  readonly chain: ChainName;
  private readonly registry: PatientAccessRegistry;
  private readonly verification = new CheckedOnce(() => this.verify());

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

  async grantConsent(patientKey: Uint8Array, providerKey: Uint8Array, expiresAt: Date | null): Promise<LedgerConsent> {
    const expiry = expiresAt ? Math.floor(expiresAt.getTime() / SECOND_MS) : 0;
    const receipt = await this.send('grantConsent', [patientKey, providerKey, expiry]);
    const consent = await this.read(() =>
      this.registry.consentOf(patientKey, providerKey, { blockTag: receipt.blockNumber }),
    );
    return toConsent(patientKey, providerKey, consent);
  }

  async revokeConsent(patientKey: Uint8Array, providerKey: Uint8Array): Promise<void> {
    await this.send('revokeConsent', [patientKey, providerKey]);
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
  private async send(
    method: 'publishPublicKey' | 'grantConsent' | 'revokeConsent' | 'appendAccessLog' | 'addRecordKeys',
    args: unknown[],
  ): Promise<MinedReceipt> {
    await this.verification.run();
    const { provider, settings, label } = this.connection;
    const to = settings.accessRegistryAddress;
    const data = (
      this.registry.interface as { encodeFunctionData(name: string, values: unknown[]): string }
    ).encodeFunctionData(method, args);
    const from = this.connection.signerAddress;
    const estimate = await this.connection
      .rpc(() => provider.estimateGas({ from, to, data }))
      .catch((error: unknown) => {
        if (!isRevert(error)) throw error;
        if (this.revertName(error) === 'PatientAccessRegistryTooManyRecordKeys') throw tooManyRecordKeys();
        throw new ValidationFailedError(`${label} refused the ${method} call.`);
      });
    const gasLimit = Number((estimate * GAS_MARGIN_NUMERATOR) / GAS_MARGIN_DENOMINATOR);
    // The send and the wait for its receipt share one deadline.
    const deadlineAt = Date.now() + settings.timeoutMs;
    const hash = await this.connection.broadcast({ to, data: getBytes(data), gasLimit }, deadlineAt);
    const receipt = await this.connection.mined(hash, settings.confirmations, deadlineAt);
    if (receipt.status !== 1) throw new Error(`${label}: ${method} transaction ${hash} reverted.`);
    return receipt;
  }

  /** The registry's custom error a revert carries, or null (no data, or not one of its errors). */
  private revertName(error: unknown): string | null {
    const data = revertData(error);
    if (!data) return null;
    try {
      return this.registry.interface.parseError(data)?.name ?? null;
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
