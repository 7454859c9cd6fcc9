/**
 * A patient's side of PatientAccessRegistry's signed consent, with node:crypto: a P-256 signing key,
 * the message M every signature covers (encoded here independently of the contract, so tests can
 * sign for another chain id or contract and compare with `consentMessage`), signatures as
 * WebCrypto makes them (ECDSA over SHA-256 of M, r ‖ s) normalised to low-S, and the data hashes.
 * Shared by the contract tests and bench/gas.ts.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { AbiCoder } from 'ethers';

/** Order n of the P-256 base point. */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const CONSENT_DOMAIN_LABEL = 'patient-centric-emr/PatientAccessRegistry/v2';
export const ACTION_GRANT = 1;
export const ACTION_REVOKE = 2;
export const ACTION_REPLACE_KEY = 3;
const COORDINATE_BYTES = 32;
const LENGTH_PREFIX_BYTES = 4;

export interface PatientSigningKey {
  readonly privateKey: KeyObject;
  /** Affine coordinates, 0x-hex, 32 bytes each: what registerPatientKey takes. */
  readonly x: string;
  readonly y: string;
}

export interface ConsentFields {
  readonly chainId: bigint;
  readonly registry: string;
  readonly action: number;
  readonly patientKey: string;
  readonly providerKey: string;
  readonly expiresAt: bigint | number;
  readonly nonce: bigint | number;
  readonly dataHash: string;
}

export interface Signature {
  readonly r: string;
  readonly s: string;
}

const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;
const bytesOf = (value: string | Uint8Array): Buffer =>
  typeof value === 'string' ? Buffer.from(value.replace(/^0x/, ''), 'hex') : Buffer.from(value);
const coordinate = (base64url: string): string => hex(Buffer.from(base64url, 'base64url'));

export function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(bytesOf(part));
  return hex(hash.digest());
}

export function consentDomain(): string {
  return sha256Hex(Buffer.from(CONSENT_DOMAIN_LABEL, 'utf8'));
}

export function generatePatientSigningKey(): PatientSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, x: coordinate(jwk.x!), y: coordinate(jwk.y!) };
}

/** A SEC 1 uncompressed P-256 public key (65 bytes), e.g. an epoch's. */
export function generateEpochPublicKey(): Uint8Array {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

/** M = abi.encode(DOMAIN, chainId, registry, action, patientKey, providerKey, expiresAt, nonce, dataHash). */
export function encodeConsentMessage(fields: ConsentFields): string {
  return AbiCoder.defaultAbiCoder().encode(
    ['bytes32', 'uint256', 'address', 'uint8', 'bytes32', 'bytes32', 'uint64', 'uint64', 'bytes32'],
    [
      consentDomain(),
      fields.chainId,
      fields.registry,
      fields.action,
      fields.patientKey,
      fields.providerKey,
      fields.expiresAt,
      fields.nonce,
      fields.dataHash,
    ],
  );
}

/** ECDSA P-256 over SHA-256 of `message`, as WebCrypto signs; s replaced by n - s when above n/2. */
export function signMessage(key: PatientSigningKey, message: string | Uint8Array): Signature {
  const signature = sign('sha256', bytesOf(message), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  const r = signature.subarray(0, COORDINATE_BYTES);
  let s = BigInt(hex(signature.subarray(COORDINATE_BYTES)));
  if (s > P256_ORDER / 2n) s = P256_ORDER - s;
  return { r: hex(r), s: to32(s) };
}

/** The same signature with s replaced by n - s: valid ECDSA, refused as high-S. */
export function highS(signature: Signature): Signature {
  return { r: signature.r, s: to32(P256_ORDER - BigInt(signature.s)) };
}

/** Verifies (r, s) over `message` under the key (x, y) with node:crypto alone. */
export function verifyMessage(x: string, y: string, message: string | Uint8Array, signature: Signature): boolean {
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: bytesOf(x).toString('base64url'), y: bytesOf(y).toString('base64url') },
    format: 'jwk',
  });
  return verify(
    'sha256',
    bytesOf(message),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.concat([bytesOf(signature.r), bytesOf(signature.s)]),
  );
}

/** A revocation's dataHash: sha256(lp(publicKey) ‖ lp(slot_0) ‖ …), lp = 4-byte big-endian length ‖ bytes. */
export function epochDataHash(publicKey: string | Uint8Array, slots: readonly (string | Uint8Array)[]): string {
  const parts: Buffer[] = [];
  for (const part of [publicKey, ...slots].map(bytesOf)) {
    const length = Buffer.alloc(LENGTH_PREFIX_BYTES);
    length.writeUInt32BE(part.length);
    parts.push(length, part);
  }
  return sha256Hex(Buffer.concat(parts));
}

/** A key replacement's dataHash: sha256(newX ‖ newY). */
export function replaceKeyDataHash(newX: string, newY: string): string {
  return sha256Hex(newX, newY);
}

function to32(value: bigint): string {
  return `0x${value.toString(16).padStart(2 * COORDINATE_BYTES, '0')}`;
}
