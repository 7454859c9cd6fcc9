/** ECDSA P-256 over SHA-256. Signatures are 64 bytes (r || s, low-S). */
export abstract class RecordSigner {
  /** SHA-256 of this signer's SEC1 uncompressed public key. */
  abstract keyId(): Uint8Array;

  abstract sign(message: Uint8Array): Promise<Uint8Array>;

  /** True only if `signature` over `message` verifies under a trusted key with id `keyId`. */
  abstract verify(message: Uint8Array, signature: Uint8Array, keyId: Uint8Array): Promise<boolean>;

  /**
   * True only if `signature` over `message` verifies under `publicKey` (65-byte SEC 1), trusted or
   * not: the caller vouches for the key (a patient's registered signing key). False for anything
   * invalid — a key off the curve, a malformed or high-S signature.
   */
  abstract verifyWithPublicKey(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean>;

  /** The trusted public key (this service's own or a configured one) with this key id, else null. */
  abstract trustedPublicKey(keyId: Uint8Array): Uint8Array | null;
}
