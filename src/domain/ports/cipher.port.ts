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

/** What an envelope's header says, without opening anything. */
export interface EnvelopeDescription {
  readonly version: 1 | 2;
  readonly slots: number;
}

/**
 * Envelope encryption: a record's parts are encrypted once under a fresh data key,
 * and that key is sealed (HPKE, RFC 9180 base mode) to each recipient's public key.
 * Sharing with another recipient later seals the same data key in a further envelope
 * (sealDataKey); the content is not re-encrypted. Envelopes name no recipient (v2), so a
 * recipient finds its slot by trying its private key. Failures raise DecryptionFailedError
 * or InvalidKeyError.
 */
export abstract class Cipher {
  abstract generateKeyPair(): Promise<KeyPair>;

  /**
   * `parts[i]` is encrypted with part index i; `aad` binds every ciphertext to its record.
   * The key envelope is v2, one slot per distinct recipient in the given order.
   */
  abstract seal(parts: Uint8Array[], recipients: Uint8Array[], aad: Uint8Array): Promise<SealedParts>;

  /**
   * The data key from `recipient`'s slot: by key id in a v1 envelope, by trial decryption in a v2
   * one. DecryptionFailedError when no slot opens (whether there is none or it was tampered with).
   */
  abstract unwrap(keyEnvelope: Uint8Array, recipient: KeyPair, aad: Uint8Array): Promise<DataKey>;

  /**
   * The first data key any of `keyEnvelopes` yields for `recipient`, trying them in order; a
   * malformed envelope counts as one without a slot. Null when none does.
   */
  abstract tryUnwrap(keyEnvelopes: readonly Uint8Array[], recipient: KeyPair, aad: Uint8Array): Promise<DataKey | null>;

  /** A new v2 envelope over an existing data key (a re-wrap), one slot per distinct recipient. */
  abstract sealDataKey(dataKey: DataKey, recipientPublicKeys: Uint8Array[], aad: Uint8Array): Promise<Uint8Array>;

  /** Version and slot count of a well-formed envelope; DecryptionFailedError otherwise. */
  abstract describeEnvelope(keyEnvelope: Uint8Array): EnvelopeDescription;

  abstract open(dataKey: DataKey, part: Uint8Array, partIndex: number, aad: Uint8Array): Promise<Uint8Array>;
}
