/** ECDSA P-256 over SHA-256. Signatures are 64 bytes (r || s, low-S). */
export abstract class RecordSigner {
  /** SHA-256 of this signer's SEC1 uncompressed public key. */
  abstract keyId(): Uint8Array;

  abstract sign(message: Uint8Array): Promise<Uint8Array>;

  /** True only if `signature` over `message` verifies under a trusted key with id `keyId`. */
  abstract verify(message: Uint8Array, signature: Uint8Array, keyId: Uint8Array): Promise<boolean>;
}
