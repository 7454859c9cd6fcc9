import { createHash, createPublicKey, verify } from 'node:crypto';
import { LedgerAccessEntry } from '../../domain/access-log';
import { bytesToHex, concatBytes } from '../../domain/bytes';
import { ChainName, CHAIN_NAMES } from '../../domain/chain-name';
import { LedgerConsent } from '../../domain/consent';
import {
  ConsentAction,
  ConsentDomain,
  consentMessage,
  grantDataHash,
  replaceKeyDataHash,
  revokeDataHash,
  signatureShapeProblem,
} from '../../domain/consent-message';
import { KeysAlreadyRegisteredError, KeysNotRegisteredError, ValidationFailedError } from '../../domain/errors';
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
  MAX_RECORD_KEYS,
  PositionedAccessEntry,
  RecordKeyEntry,
  recordKeysSlot,
  SignedChange,
  tooManyRecordKeys,
} from '../../domain/ports/access-ledger.port';
import { Clock } from '../../domain/ports/clock.port';
import { RecordId } from '../../domain/record-id';

const SECOND_MS = 1000;
const SEC1_COORDINATE_BYTES = 32;

/** A patient's signed-consent state, as PatientAccessRegistry keeps it. */
interface PatientState {
  signingKey: Uint8Array;
  nonce: bigint;
  epochs: { publicKey: Uint8Array; slots: Uint8Array[] }[];
  history: ConsentChange[];
}

/** A chain id and registry per in-memory ledger, distinct per chain so a signature binds to one ledger as on the EVM. */
function defaultDomain(chain: ChainName): ConsentDomain {
  const index = CHAIN_NAMES.indexOf(chain) + 1;
  return { chainId: BigInt(index), registry: `0x${index.toString(16).padStart(40, '0')}` };
}

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

/**
 * Keys, consents, access log and added record keys of one ledger, held in process memory. Signed
 * consent changes are checked exactly as PatientAccessRegistry checks them (same message, P-256
 * over SHA-256, range, low-S, nonce, expiry, slot sizes, in the contract's order), so memory-backed
 * tests see the same refusals.
 */
export class InMemoryAccessLedger extends AccessLedger {
  private readonly patients = new Map<string, PatientState>();
  private readonly domain: ConsentDomain;
  private readonly publicKeys = new Map<string, Uint8Array>();
  /** patient hex -> provider hex -> consent */
  private readonly consents = new Map<string, Map<string, LedgerConsent>>();
  private readonly logs = new Map<string, PositionedAccessEntry[]>();
  /** recordKeysSlot(patient, record) -> envelopes, oldest first */
  private readonly recordKeys = new Map<string, Uint8Array[]>();

  constructor(
    readonly chain: ChainName,
    private readonly clock: Clock,
    domain?: ConsentDomain,
  ) {
    super();
    this.domain = domain ?? defaultDomain(chain);
  }

  async consentDomain(): Promise<ConsentDomain> {
    return { ...this.domain };
  }

  async registerPatientKey(patientKey: Uint8Array, signingPublicKey: Uint8Array, epoch: EpochData): Promise<void> {
    checkPatientKey(patientKey);
    const patient = bytesToHex(patientKey);
    if (this.patients.has(patient))
      throw new KeysAlreadyRegisteredError('The patient has a signing key on this ledger.');
    if (signingPublicKey.length !== 1 + 2 * SEC1_COORDINATE_BYTES || signingPublicKey.every((byte) => byte === 0)) {
      throw new ValidationFailedError('signingPublicKey must be a SEC 1 uncompressed P-256 key.', 'signingPublicKey');
    }
    checkEpochData(epoch);
    this.patients.set(patient, {
      signingKey: Uint8Array.from(signingPublicKey),
      nonce: 0n,
      epochs: [copyEpoch(epoch)],
      history: [],
    });
  }

  async patientSigningKey(patientKey: Uint8Array): Promise<Uint8Array | null> {
    const state = this.patients.get(bytesToHex(patientKey));
    return state ? Uint8Array.from(state.signingKey) : null;
  }

  async consentNonce(patientKey: Uint8Array): Promise<bigint> {
    return this.patients.get(bytesToHex(patientKey))?.nonce ?? 0n;
  }

  async grantConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    signed: SignedChange,
    epochSlot: Uint8Array,
  ): Promise<LedgerConsent> {
    const { state, message } = this.checkGrant(patientKey, providerKey, expiresAt, signed, epochSlot);
    const consent: LedgerConsent = {
      patientKey: Uint8Array.from(patientKey),
      providerKey: Uint8Array.from(providerKey),
      grantedAt: this.nowSeconds(),
      expiresAt: expiresAt ? new Date(expiresAt.getTime()) : null,
    };
    const patient = bytesToHex(patientKey);
    const byProvider = this.consents.get(patient) ?? new Map<string, LedgerConsent>();
    byProvider.set(bytesToHex(providerKey), consent);
    this.consents.set(patient, byProvider);
    state.nonce = signed.nonce + 1n;
    state.epochs[state.epochs.length - 1].slots.push(Uint8Array.from(epochSlot));
    state.history.push({
      action: 'grant',
      providerKey: Uint8Array.from(providerKey),
      expiresAt: consent.expiresAt,
      nonce: signed.nonce,
      message,
      r: Uint8Array.from(signed.r),
      s: Uint8Array.from(signed.s),
      at: consent.grantedAt,
      transaction: null,
    });
    return { ...consent };
  }

  async checkGrantConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    signed: SignedChange,
    epochSlot: Uint8Array,
  ): Promise<void> {
    this.checkGrant(patientKey, providerKey, expiresAt, signed, epochSlot);
  }

  async revokeConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    signed: SignedChange,
    newEpoch: EpochData,
  ): Promise<void> {
    const { state, message } = this.checkRevoke(patientKey, providerKey, signed, newEpoch);
    this.consents.get(bytesToHex(patientKey))?.delete(bytesToHex(providerKey));
    state.nonce = signed.nonce + 1n;
    state.epochs.push(copyEpoch(newEpoch));
    state.history.push({
      action: 'revoke',
      providerKey: Uint8Array.from(providerKey),
      expiresAt: null,
      nonce: signed.nonce,
      message,
      r: Uint8Array.from(signed.r),
      s: Uint8Array.from(signed.s),
      at: this.nowSeconds(),
      transaction: null,
    });
  }

  async checkRevokeConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    signed: SignedChange,
    newEpoch: EpochData,
  ): Promise<void> {
    this.checkRevoke(patientKey, providerKey, signed, newEpoch);
  }

  async replacePatientKey(
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    signed: SignedChange,
  ): Promise<void> {
    const { state } = this.checkReplace(patientKey, newSigningPublicKey, signed);
    state.signingKey = Uint8Array.from(newSigningPublicKey);
    state.nonce = signed.nonce + 1n;
  }

  async checkReplacePatientKey(
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    signed: SignedChange,
  ): Promise<void> {
    this.checkReplace(patientKey, newSigningPublicKey, signed);
  }

  async epochs(patientKey: Uint8Array): Promise<Epoch[]> {
    const state = this.patients.get(bytesToHex(patientKey));
    return (state?.epochs ?? []).map((epoch, index) => ({ index, ...copyEpoch(epoch) }));
  }

  async currentEpoch(patientKey: Uint8Array): Promise<EpochKey | null> {
    const epochs = this.patients.get(bytesToHex(patientKey))?.epochs ?? [];
    if (epochs.length === 0) return null;
    return { index: epochs.length - 1, publicKey: Uint8Array.from(epochs[epochs.length - 1].publicKey) };
  }

  async consentHistory(patientKey: Uint8Array): Promise<ConsentChange[]> {
    return (this.patients.get(bytesToHex(patientKey))?.history ?? []).map((change) => ({
      ...change,
      providerKey: Uint8Array.from(change.providerKey),
      message: Uint8Array.from(change.message),
      r: Uint8Array.from(change.r),
      s: Uint8Array.from(change.s),
    }));
  }

  /** The contract's grantConsent checks, in its order; the signed message when they pass. */
  private checkGrant(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    signed: SignedChange,
    epochSlot: Uint8Array,
  ): { state: PatientState; message: Uint8Array } {
    const expiry = expiresAt ? BigInt(Math.floor(expiresAt.getTime() / SECOND_MS)) : 0n;
    if (expiry !== 0n && expiry <= BigInt(Math.floor(this.clock.now().getTime() / SECOND_MS))) {
      throw new ValidationFailedError('expiresAt must be in the future.', 'expiresAt');
    }
    checkEpochSlot(epochSlot);
    return this.verifySigned(
      ConsentAction.Grant,
      patientKey,
      providerKey,
      expiry,
      signed,
      grantDataHash(epochSlot, sha256),
    );
  }

  private checkRevoke(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    signed: SignedChange,
    newEpoch: EpochData,
  ): { state: PatientState; message: Uint8Array } {
    checkEpochData(newEpoch);
    const dataHash = revokeDataHash(newEpoch.publicKey, newEpoch.slots, sha256);
    return this.verifySigned(ConsentAction.Revoke, patientKey, providerKey, 0n, signed, dataHash);
  }

  /** The contract's replacePatientKey checks: the new key's coordinates first, then the signature by the current key. */
  private checkReplace(
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    signed: SignedChange,
  ): { state: PatientState; message: Uint8Array } {
    checkSigningPublicKey(newSigningPublicKey);
    const dataHash = replaceKeyDataHash(newSigningPublicKey, sha256);
    return this.verifySigned(ConsentAction.ReplaceKey, patientKey, new Uint8Array(32), 0n, signed, dataHash);
  }

  /** PatientAccessRegistry._verifySigned: key registered, range, low-S, nonce, then P-256 over SHA-256(M). */
  private verifySigned(
    action: ConsentAction,
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: bigint,
    signed: SignedChange,
    dataHash: Uint8Array,
  ): { state: PatientState; message: Uint8Array } {
    checkPatientKey(patientKey);
    const state = this.patients.get(bytesToHex(patientKey));
    if (!state) throw new KeysNotRegisteredError('The patient has no signing key on this ledger.');
    const shape = signatureShapeProblem(signed.r, signed.s);
    if (shape) throw consentRefused(this.chain, shape);
    if (signed.nonce !== state.nonce) {
      throw consentRefused(this.chain, `stale nonce (expected ${state.nonce}, given ${signed.nonce})`);
    }
    const message = consentMessage({
      ...this.domain,
      action,
      patientKey,
      providerKey,
      expiresAt,
      nonce: signed.nonce,
      dataHash,
    });
    if (!verifyP256(state.signingKey, message, concatBytes(signed.r, signed.s))) {
      throw consentRefused(this.chain, 'bad signature');
    }
    return { state, message };
  }

  /** Block time is whole seconds. */
  private nowSeconds(): Date {
    return new Date(Math.floor(this.clock.now().getTime() / SECOND_MS) * SECOND_MS);
  }

  async publishPublicKey(subjectKey: Uint8Array, publicKey: Uint8Array): Promise<void> {
    this.publicKeys.set(bytesToHex(subjectKey), Uint8Array.from(publicKey));
  }

  async publicKeyOf(subjectKey: Uint8Array): Promise<Uint8Array | null> {
    const key = this.publicKeys.get(bytesToHex(subjectKey));
    return key ? Uint8Array.from(key) : null;
  }

  async consentFor(patientKey: Uint8Array, providerKey: Uint8Array): Promise<LedgerConsent | null> {
    const consent = this.consents.get(bytesToHex(patientKey))?.get(bytesToHex(providerKey));
    return consent ? { ...consent } : null;
  }

  async consentsOf(patientKey: Uint8Array): Promise<LedgerConsent[]> {
    return [...(this.consents.get(bytesToHex(patientKey))?.values() ?? [])].map((consent) => ({ ...consent }));
  }

  async appendAccessLog(entries: readonly LedgerAccessEntry[]): Promise<void> {
    for (const entry of entries) {
      const patient = bytesToHex(entry.patientKey);
      const log = this.logs.get(patient) ?? [];
      log.push({ ...entry, position: log.length + 1 });
      this.logs.set(patient, log);
    }
  }

  async accessLog(patientKey: Uint8Array, query: AccessLogQuery): Promise<PositionedAccessEntry[]> {
    const log = this.logs.get(bytesToHex(patientKey)) ?? [];
    const below = Math.min(query.beforePosition || log.length + 1, log.length + 1);
    const older = log.slice(0, below - 1);
    const candidates = query.emergencyOnly ? older.filter((entry) => entry.kind === 'emergency') : older;
    return candidates.slice(Math.max(0, candidates.length - query.limit)).reverse();
  }

  async emergencyCount(patientKey: Uint8Array): Promise<number> {
    return (this.logs.get(bytesToHex(patientKey)) ?? []).filter((entry) => entry.kind === 'emergency').length;
  }

  /** All or nothing, as the contract's one transaction: every cap is checked before anything is stored. */
  async addRecordKeys(entries: readonly RecordKeyEntry[]): Promise<void> {
    checkRecordKeyEntries(entries);
    const added = new Map<string, number>();
    for (const entry of entries) {
      const slot = recordKeysSlot(entry.patientKey, entry.recordId);
      const count = (added.get(slot) ?? this.recordKeys.get(slot)?.length ?? 0) + 1;
      if (count > MAX_RECORD_KEYS) throw tooManyRecordKeys();
      added.set(slot, count);
    }
    for (const entry of entries) {
      const slot = recordKeysSlot(entry.patientKey, entry.recordId);
      const envelopes = this.recordKeys.get(slot) ?? [];
      envelopes.push(Uint8Array.from(entry.keyEnvelope));
      this.recordKeys.set(slot, envelopes);
    }
  }

  async recordKeysOf(patientKey: Uint8Array, recordId: RecordId): Promise<Uint8Array[]> {
    checkPatientKey(patientKey);
    return (this.recordKeys.get(recordKeysSlot(patientKey, recordId)) ?? []).map((envelope) =>
      Uint8Array.from(envelope),
    );
  }
}

function copyEpoch(epoch: EpochData): { publicKey: Uint8Array; slots: Uint8Array[] } {
  return { publicKey: Uint8Array.from(epoch.publicKey), slots: epoch.slots.map((slot) => Uint8Array.from(slot)) };
}

/** ECDSA P-256 over SHA-256 of `message`, r | s (P1363), as P256VERIFY checks it over sha256(M). */
function verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const x = publicKey.subarray(1, 1 + SEC1_COORDINATE_BYTES);
  const y = publicKey.subarray(1 + SEC1_COORDINATE_BYTES);
  try {
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(x).toString('base64url'),
        y: Buffer.from(y).toString('base64url'),
      },
      format: 'jwk',
    });
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    // A key off the curve verifies nothing, as on the contract.
    return false;
  }
}
