/**
 * A patient's signing side of issue 14 for service-level tests: a P-256 signing key made with
 * node:crypto, and signatures over the domain's consent message for one AccessLedger (its chain
 * id and registry from consentDomain(), its next nonce from consentNonce()), low-S as the contract
 * wants. The epoch data the tests pass is opaque to a ledger (random slots, a real epoch point).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  ConsentAction,
  consentMessage,
  grantDataHash,
  replaceKeyDataHash,
  revokeDataHash,
} from '../../src/domain/consent-message';
import { AccessLedger, EpochData, SignedChange } from '../../src/domain/ports/access-ledger.port';
import {
  generateEpochPublicKey,
  generatePatientSigningKey,
  highS,
  PatientSigningKey,
  signMessage,
} from './consent-signature';

const ONE_SLOT_ENVELOPE_BYTES = 115;
const SECOND_MS = 1000;
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/^0x/, ''), 'hex'));

/** An epoch a ledger accepts: a P-256 point and `slots` random 115-byte slots. */
export function opaqueEpoch(slots = 1): EpochData {
  return {
    publicKey: generateEpochPublicKey(),
    slots: Array.from({ length: slots }, () => randomBytes(ONE_SLOT_ENVELOPE_BYTES)),
  };
}

export const opaqueSlot = (): Uint8Array => randomBytes(ONE_SLOT_ENVELOPE_BYTES);

export class ConsentSigningKey {
  private constructor(readonly key: PatientSigningKey) {}

  static generate(): ConsentSigningKey {
    return new ConsentSigningKey(generatePatientSigningKey());
  }

  /** SEC 1 uncompressed, 65 bytes. */
  get publicKey(): Uint8Array {
    return Uint8Array.from([0x04, ...bytes(this.key.x), ...bytes(this.key.y)]);
  }

  /** Registers this key and an epoch 0 on the ledger; the epoch. */
  async register(ledger: AccessLedger, patientKey: Uint8Array, epoch = opaqueEpoch()): Promise<EpochData> {
    await ledger.registerPatientKey(patientKey, this.publicKey, epoch);
    return epoch;
  }

  async signGrant(
    ledger: AccessLedger,
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
    slot: Uint8Array,
    nonce?: bigint,
  ): Promise<SignedChange> {
    return this.sign(ledger, {
      action: ConsentAction.Grant,
      patientKey,
      providerKey,
      expiresAt: expiresAt ? BigInt(Math.floor(expiresAt.getTime() / SECOND_MS)) : 0n,
      nonce: nonce ?? (await ledger.consentNonce(patientKey)),
      dataHash: grantDataHash(slot, sha256),
    });
  }

  async signRevoke(
    ledger: AccessLedger,
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    epoch: EpochData,
    nonce?: bigint,
  ): Promise<SignedChange> {
    return this.sign(ledger, {
      action: ConsentAction.Revoke,
      patientKey,
      providerKey,
      expiresAt: 0n,
      nonce: nonce ?? (await ledger.consentNonce(patientKey)),
      dataHash: revokeDataHash(epoch.publicKey, epoch.slots, sha256),
    });
  }

  /** The current key's signature replacing it with `newSigningPublicKey` (65 bytes, SEC 1). */
  async signReplace(
    ledger: AccessLedger,
    patientKey: Uint8Array,
    newSigningPublicKey: Uint8Array,
    nonce?: bigint,
  ): Promise<SignedChange> {
    return this.sign(ledger, {
      action: ConsentAction.ReplaceKey,
      patientKey,
      providerKey: new Uint8Array(32),
      expiresAt: 0n,
      nonce: nonce ?? (await ledger.consentNonce(patientKey)),
      dataHash: replaceKeyDataHash(newSigningPublicKey, sha256),
    });
  }

  /** Signs and grants on the ledger in one step. */
  async grant(
    ledger: AccessLedger,
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null = null,
    slot = opaqueSlot(),
  ): Promise<void> {
    const signed = await this.signGrant(ledger, patientKey, providerKey, expiresAt, slot);
    await ledger.grantConsent(patientKey, providerKey, expiresAt, signed, slot);
  }

  /** Signs and revokes on the ledger in one step, starting `epoch`. */
  async revoke(
    ledger: AccessLedger,
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    epoch = opaqueEpoch(),
  ): Promise<void> {
    const signed = await this.signRevoke(ledger, patientKey, providerKey, epoch);
    await ledger.revokeConsent(patientKey, providerKey, signed, epoch);
  }

  private async sign(
    ledger: AccessLedger,
    fields: Omit<Parameters<typeof consentMessage>[0], 'chainId' | 'registry'>,
  ): Promise<SignedChange> {
    const domain = await ledger.consentDomain();
    const message = consentMessage({ ...domain, ...fields });
    const { r, s } = signMessage(this.key, message);
    return { nonce: fields.nonce, r: bytes(r), s: bytes(s) };
  }
}

/** The same signature with s replaced by n - s: valid ECDSA, refused as high-S. */
export function withHighS(signed: SignedChange): SignedChange {
  const flipped = highS({
    r: `0x${Buffer.from(signed.r).toString('hex')}`,
    s: `0x${Buffer.from(signed.s).toString('hex')}`,
  });
  return { ...signed, s: bytes(flipped.s) };
}
