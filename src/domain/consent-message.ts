import { concatBytes, hexToBytes } from './bytes';
import { ValidationFailedError } from './errors';

/**
 * The message a patient signs for a consent change on one PatientAccessRegistry (issue 14 spec,
 * part A), the twin of the client module's crypto/consent.js. abi.encode of nine static words,
 * each 32 bytes big-endian (288 bytes):
 *
 *   0     32  DOMAIN       bytes32  SHA-256(utf8("patient-centric-emr/PatientAccessRegistry/v2"))
 *   32    32  chainId      uint256
 *   64    32  registry     address  12 zero bytes | 20-byte address
 *   96    32  action       uint8    1 grant, 2 revoke, 3 replace the signing key
 *   128   32  patientKey   bytes32
 *   160   32  providerKey  bytes32  zero for a key replacement
 *   192   32  expiresAt    uint64   0: until revoked (only a grant carries one)
 *   224   32  nonce        uint64   the patient's next nonce on this registry
 *   256   32  dataHash     bytes32  grantDataHash / revokeDataHash / SHA-256(newX | newY)
 *
 * The signature is ECDSA P-256 over SHA-256(M), low-S; chain id and registry are inside M, so each
 * ledger needs its own signature.
 */
export const CONSENT_DOMAIN: Uint8Array = hexToBytes(
  '4ec5aac67d59340c67358cc29ff4df8952a3210e5c3e50c6ae72006c030c1cc7',
);

export enum ConsentAction {
  Grant = 1,
  Revoke = 2,
  ReplaceKey = 3,
}

const WORD_BYTES = 32;
export const CONSENT_MESSAGE_BYTES = 9 * WORD_BYTES;
const ADDRESS_BYTES = 20;
const KEY_BYTES = 32;
const LENGTH_PREFIX_BYTES = 4;
const SEC1_UNCOMPRESSED = 0x04;
const UINT64_MAX = (1n << 64n) - 1n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Order n of the P-256 base point (SEC 2 §2.4.2): r and s must be in [1, n-1], s ≤ n/2 (low-S). */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const SIGNATURE_PART_BYTES = 32;

export interface ConsentFields {
  readonly chainId: bigint;
  /** 0x + 40 hex. */
  readonly registry: string;
  readonly action: ConsentAction;
  readonly patientKey: Uint8Array;
  /** 32 zero bytes for a key replacement. */
  readonly providerKey: Uint8Array;
  /** Unix seconds; 0 = none. */
  readonly expiresAt: bigint;
  readonly nonce: bigint;
  readonly dataHash: Uint8Array;
}

/** What a signed consent change binds to on one ledger. */
export interface ConsentDomain {
  readonly chainId: bigint;
  readonly registry: string;
}

type Sha256 = (data: Uint8Array) => Uint8Array;

function uintWord(value: bigint, max: bigint, name: string): Uint8Array {
  if (value < 0n || value > max) throw new ValidationFailedError(`${name} is out of range.`, name);
  const word = new Uint8Array(WORD_BYTES);
  let rest = value;
  for (let i = WORD_BYTES - 1; i >= 0 && rest > 0n; i--) {
    word[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return word;
}

function fixedWord(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length !== KEY_BYTES) throw new ValidationFailedError(`${name} must be ${KEY_BYTES} bytes.`, name);
  return bytes;
}

/** M for these fields (layout above). */
export function consentMessage(fields: ConsentFields): Uint8Array {
  if (!ADDRESS.test(fields.registry)) throw new ValidationFailedError('registry must be a 20-byte address.');
  const address = new Uint8Array(WORD_BYTES);
  address.set(hexToBytes(fields.registry.slice(2)), WORD_BYTES - ADDRESS_BYTES);
  return concatBytes(
    CONSENT_DOMAIN,
    uintWord(fields.chainId, (1n << 256n) - 1n, 'chainId'),
    address,
    uintWord(BigInt(fields.action), 0xffn, 'action'),
    fixedWord(fields.patientKey, 'patientKey'),
    fixedWord(fields.providerKey, 'providerKey'),
    uintWord(fields.expiresAt, UINT64_MAX, 'expiresAt'),
    uintWord(fields.nonce, UINT64_MAX, 'nonce'),
    fixedWord(fields.dataHash, 'dataHash'),
  );
}

/** A grant's dataHash: SHA-256 of the one slot it adds to the current epoch. */
export function grantDataHash(slot: Uint8Array, sha256: Sha256): Uint8Array {
  return sha256(slot);
}

/** A revocation's dataHash: SHA-256(lp(newEpochPublicKey) | lp(slot_0) | …), lp = u32 big-endian length | bytes. */
export function revokeDataHash(epochPublicKey: Uint8Array, slots: readonly Uint8Array[], sha256: Sha256): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const part of [epochPublicKey, ...slots]) {
    const length = new Uint8Array(LENGTH_PREFIX_BYTES);
    new DataView(length.buffer).setUint32(0, part.length, false);
    parts.push(length, part);
  }
  return sha256(concatBytes(...parts));
}

/**
 * A signing-key replacement's dataHash: SHA-256(newX | newY), the new key's affine coordinates
 * (32 bytes each) from its SEC 1 uncompressed form 0x04 | x | y.
 */
export function replaceKeyDataHash(newSigningPublicKey: Uint8Array, sha256: Sha256): Uint8Array {
  if (newSigningPublicKey.length !== 1 + 2 * KEY_BYTES || newSigningPublicKey[0] !== SEC1_UNCOMPRESSED) {
    throw new ValidationFailedError('signingPublicKey must be a SEC 1 uncompressed P-256 key.', 'signingPublicKey');
  }
  return sha256(newSigningPublicKey.subarray(1));
}

function wordValue(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * Why the contract would refuse (r, s) before verifying it, or null: out of [1, n-1]
 * (SignatureOutOfRange), or s above n/2 (HighS). The same order as PatientAccessRegistry's checks.
 */
export function signatureShapeProblem(r: Uint8Array, s: Uint8Array): 'out of range' | 'high s' | null {
  if (r.length !== SIGNATURE_PART_BYTES || s.length !== SIGNATURE_PART_BYTES) return 'out of range';
  const rValue = wordValue(r);
  const sValue = wordValue(s);
  if (rValue === 0n || rValue >= P256_ORDER || sValue === 0n || sValue >= P256_ORDER) return 'out of range';
  if (sValue > P256_ORDER / 2n) return 'high s';
  return null;
}
