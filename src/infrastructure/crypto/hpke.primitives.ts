import { InvalidKeyError } from '../../domain/errors';
import { AES256_KEY_BYTES, GCM_NONCE_BYTES, P256_PUBLIC_KEY_BYTES, SEC1_UNCOMPRESSED_PREFIX } from './crypto.constants';

export interface P256EcdhResult {
  /** x-coordinate of sk·PK (SEC 1 §3.3.1), P256_ECDH_BYTES long. */
  readonly dh: Uint8Array;
  /** pk(sk) as a SEC 1 uncompressed point. */
  readonly publicKey: Uint8Array;
}

/**
 * The measurably slow primitives under HPKE, behind one seam so the RFC 9180 code in
 * {@link HpkeP256Suite} is written once and runs on either backend (noble or node:crypto).
 * Every method is synchronous and returns its output in a fresh Uint8Array that shares no
 * memory with its inputs or with other outputs.
 *
 * Failures: a malformed or out-of-range key raises InvalidKeyError; an AEAD tag mismatch
 * raises DecryptionFailedError. Nothing else escapes.
 */
export interface HpkePrimitives {
  /** Short backend name for test titles and diagnostics. */
  readonly name: string;

  /** True when `privateKey` is P256_PRIVATE_KEY_BYTES long and encodes a scalar in [1, n-1]. */
  p256IsValidPrivateKey(privateKey: Uint8Array): boolean;

  /** pk(sk) as a SEC 1 uncompressed point; InvalidKeyError unless the private key is valid. */
  p256PublicKey(privateKey: Uint8Array): Uint8Array;

  /**
   * InvalidKeyError unless `publicKey` is a 65-byte SEC 1 uncompressed point on P-256. The
   * identity has no uncompressed encoding, so it is rejected by the format check.
   */
  p256ValidatePublicKey(publicKey: Uint8Array): void;

  /** x-coordinate of sk·PK (SEC 1 §3.3.1). Validates both keys first. */
  p256Ecdh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  /**
   * p256Ecdh and p256PublicKey of the same private key in one call. DHKEM needs both (enc and
   * dh on the sender side, dh and pkRm on the recipient side, RFC 9180 §4.1), and a backend that
   * loads the private key once gets pk(sk) with it, saving a scalar multiplication. Validates
   * both keys, as p256Ecdh does.
   */
  p256EcdhWithPublicKey(privateKey: Uint8Array, peerPublicKey: Uint8Array): P256EcdhResult;

  /** AES-256-GCM: returns ciphertext || tag (GCM_TAG_BYTES). */
  aes256GcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;

  /** Inverse of aes256GcmSeal; DecryptionFailedError on a bad tag or a too-short input. */
  aes256GcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;

  sha256(data: Uint8Array): Uint8Array;
}

/** Shared by both backends so they reject the same inputs the same way. */
export function assertAes256GcmInputs(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AES256_KEY_BYTES) {
    throw new InvalidKeyError(`An AES-256-GCM key must be ${AES256_KEY_BYTES} bytes.`);
  }
  // Nonces are always built by this module (RFC 9180 §5.2, or the cipher's part nonce),
  // so a wrong length is a programming error, not bad input.
  if (nonce.length !== GCM_NONCE_BYTES) {
    throw new RangeError(`An AES-256-GCM nonce must be ${GCM_NONCE_BYTES} bytes.`);
  }
}

/** The format half of public key validation; the on-curve half is backend specific. */
export function hasUncompressedP256Format(publicKey: Uint8Array): boolean {
  return publicKey.length === P256_PUBLIC_KEY_BYTES && publicKey[0] === SEC1_UNCOMPRESSED_PREFIX;
}
