/** A P-256 key pair: private scalar (32 bytes) and SEC1 uncompressed public key (65 bytes). */
export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A record's content key after unwrapping; opaque outside the Cipher adapter. */
export interface DataKey {
  readonly bytes: Uint8Array;
}

export interface SealedParts {
  /** One AEAD ciphertext per input part, in the same order. */
  readonly parts: Uint8Array[];
  /** The data key sealed to every recipient. */
  readonly keyEnvelope: Uint8Array;
}

/**
 * Envelope encryption: a record's parts are encrypted once under a fresh data key,
 * and that key is sealed (HPKE, RFC 9180 base mode) to each recipient's public key.
 * Sharing with another recipient later adds an envelope slot; the content is not
 * re-encrypted. Failures raise DecryptionFailedError or InvalidKeyError.
 */
export abstract class Cipher {
  abstract generateKeyPair(): Promise<KeyPair>;

  /** `parts[i]` is encrypted with part index i; `aad` binds every ciphertext to its record. */
  abstract seal(parts: Uint8Array[], recipients: Uint8Array[], aad: Uint8Array): Promise<SealedParts>;

  /** Finds the slot for `recipient` in the envelope and unwraps the data key. */
  abstract unwrap(keyEnvelope: Uint8Array, recipient: KeyPair, aad: Uint8Array): Promise<DataKey>;

  abstract open(dataKey: DataKey, part: Uint8Array, partIndex: number, aad: Uint8Array): Promise<Uint8Array>;

  /** Whether `publicKey` has a slot in the envelope (the record was sealed or shared to it). */
  abstract isRecipient(keyEnvelope: Uint8Array, publicKey: Uint8Array): boolean;

  /** A new envelope with one more slot, sealed to `recipientPublicKey`. */
  abstract addRecipient(
    keyEnvelope: Uint8Array,
    dataKey: DataKey,
    recipientPublicKey: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array>;
}
