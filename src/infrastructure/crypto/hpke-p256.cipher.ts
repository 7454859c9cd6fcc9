import { bytesEqual, utf8 } from '../../domain/bytes';
import { DecryptionFailedError, InvalidKeyError, ValidationFailedError } from '../../domain/errors';
import { Cipher, DataKey, KeyPair, SealedParts } from '../../domain/ports/cipher.port';
import { RandomSource } from '../../domain/ports/random.port';
import { AES256_KEY_BYTES, GCM_NONCE_BYTES, P256_PUBLIC_KEY_BYTES } from './crypto.constants';
import { HpkeP256Suite } from './hpke-p256.suite';
import { HpkePrimitives } from './hpke.primitives';
import { i2osp } from './integer-encoding';
import {
  decodeKeyEnvelope,
  encodeKeyEnvelope,
  findKeyEnvelopeSlot,
  KeyEnvelopeSlot,
  MAX_KEY_ENVELOPE_SLOTS,
} from './key-envelope.codec';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';
import { NodeRandomSource } from './node-crypto.random';

/** HPKE `info` for sealing a data key (RFC 9180 §5.1): binds the slot to this use and format version. */
export const DATA_KEY_HPKE_INFO = utf8('patient-centric-emr/v1/data-key');

/**
 * How many recipients' validated public keys and key ids to remember. The same patients' and
 * providers' keys come back on every seal and read; beyond this many, the oldest is forgotten
 * and simply checked again when it returns.
 */
const KNOWN_RECIPIENTS_MAX = 1_024;

/**
 * Envelope encryption over RFC 9180 HPKE (base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM).
 *
 * Content: each part is AES-256-GCM(dataKey, nonce = I2OSP(partIndex, 12), aad) and is
 * ciphertext || 16-byte tag. The deterministic nonce is safe because seal() draws a fresh
 * 32-byte data key for every record and uses each part index once under it, so no
 * (key, nonce) pair ever repeats; nothing else encrypts under a data key (addRecipient
 * only re-wraps it). Putting the index in the nonce also makes swapped parts fail to open.
 *
 * Key envelope: the data key sealed to each recipient with single-shot HPKE (info =
 * DATA_KEY_HPKE_INFO, aad = the record's aad); layout in key-envelope.codec.ts.
 *
 * Randomness (data keys, HPKE ephemeral keys) comes only from `random`, in a fixed order —
 * data key first, then one ephemeral IKM per slot — so a pinned RandomSource pins the output.
 */
export class HpkeP256Cipher extends Cipher {
  private readonly suite: HpkeP256Suite;
  /**
   * latin1(public key) -> SHA-256 key id, for keys that passed p256ValidatePublicKey, oldest first.
   * Both facts are pure functions of the 65 bytes, so remembering them by those exact bytes
   * weakens nothing: a key one bit apart is another entry, validated afresh. The key ids are
   * shared: read them, never write them.
   */
  private readonly knownRecipients = new Map<string, Uint8Array>();

  constructor(
    private readonly primitives: HpkePrimitives = new NodeCryptoHpkePrimitives(),
    private readonly random: RandomSource = new NodeRandomSource(),
  ) {
    super();
    this.suite = new HpkeP256Suite(primitives, random);
  }

  async generateKeyPair(): Promise<KeyPair> {
    return this.suite.generateKeyPair();
  }

  async seal(parts: Uint8Array[], recipients: Uint8Array[], aad: Uint8Array): Promise<SealedParts> {
    const uniqueRecipients = this.distinctRecipients(recipients);
    const dataKey = this.random.bytes(AES256_KEY_BYTES);
    const sealedParts = parts.map((part, index) => this.primitives.aes256GcmSeal(dataKey, partNonce(index), aad, part));
    const slots = uniqueRecipients.map(({ publicKey, keyId }) => this.sealSlot(dataKey, publicKey, keyId, aad));
    return { parts: sealedParts, keyEnvelope: encodeKeyEnvelope(slots) };
  }

  async unwrap(keyEnvelope: Uint8Array, recipient: KeyPair, aad: Uint8Array): Promise<DataKey> {
    const keyId = this.validatedKeyId(recipient.publicKey);
    if (!this.primitives.p256IsValidPrivateKey(recipient.privateKey)) {
      throw new InvalidKeyError('A P-256 private key must be a 32-byte scalar in [1, n-1].');
    }
    // A view into the envelope, read only during the synchronous openBase below.
    const slot = findKeyEnvelopeSlot(keyEnvelope, keyId);
    if (slot === null) throw new DecryptionFailedError('The key envelope has no slot for this recipient.');

    let dataKey: Uint8Array;
    try {
      dataKey = this.suite.openBase(
        slot.enc,
        recipient.privateKey,
        DATA_KEY_HPKE_INFO,
        aad,
        slot.sealedDataKey,
        recipient.publicKey,
      );
    } catch (error) {
      // The recipient's key was checked above, so an InvalidKeyError here means a bad `enc`:
      // a tampered envelope, reported like any other authentication failure.
      if (error instanceof InvalidKeyError || error instanceof DecryptionFailedError) {
        throw new DecryptionFailedError('The data key could not be unwrapped.');
      }
      throw error;
    }
    if (dataKey.length !== AES256_KEY_BYTES) throw new DecryptionFailedError('The data key could not be unwrapped.');
    return { bytes: dataKey };
  }

  async open(dataKey: DataKey, part: Uint8Array, partIndex: number, aad: Uint8Array): Promise<Uint8Array> {
    assertDataKey(dataKey);
    if (!Number.isSafeInteger(partIndex) || partIndex < 0) {
      throw new DecryptionFailedError('The part index is not a non-negative integer.');
    }
    if (!(part instanceof Uint8Array)) throw new DecryptionFailedError('The part is malformed.');
    return this.primitives.aes256GcmOpen(dataKey.bytes, partNonce(partIndex), aad, part);
  }

  /**
   * Adds a slot for `recipientPublicKey`; the content is not touched. Idempotent: a
   * recipient who already has a slot gets the envelope back unchanged. The data key is
   * not checked against the envelope (no private key is at hand); callers pass the key
   * they obtained from unwrap() on this same envelope.
   */
  async addRecipient(
    keyEnvelope: Uint8Array,
    dataKey: DataKey,
    recipientPublicKey: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array> {
    const slots = decodeKeyEnvelope(keyEnvelope);
    assertDataKey(dataKey);
    const keyId = this.validatedKeyId(recipientPublicKey);
    if (slots.some((slot) => bytesEqual(slot.keyId, keyId))) return encodeKeyEnvelope(slots);
    if (slots.length >= MAX_KEY_ENVELOPE_SLOTS) {
      throw new ValidationFailedError(
        `A record can be shared with at most ${MAX_KEY_ENVELOPE_SLOTS} keys.`,
        'recipients',
      );
    }
    return encodeKeyEnvelope([...slots, this.sealSlot(dataKey.bytes, recipientPublicKey, keyId, aad)]);
  }

  /** True when the envelope holds a slot for this public key; false for any malformed envelope. */
  isRecipient(keyEnvelope: Uint8Array, publicKey: Uint8Array): boolean {
    // No validation here: an invalid key has no slot, and its hash simply matches none.
    const keyId = this.knownKeyId(publicKey) ?? this.primitives.sha256(publicKey);
    try {
      return findKeyEnvelopeSlot(keyEnvelope, keyId) !== null;
    } catch (error) {
      if (error instanceof DecryptionFailedError) return false;
      throw error;
    }
  }

  /**
   * InvalidKeyError unless `publicKey` is a P-256 point; then its key id, SHA-256 of the 65-byte
   * SEC 1 public key (the same id EcdsaP256RecordSigner uses). Remembered: see knownRecipients.
   */
  private validatedKeyId(publicKey: Uint8Array): Uint8Array {
    const known = this.knownKeyId(publicKey);
    if (known !== undefined) return known;
    this.primitives.p256ValidatePublicKey(publicKey);
    const keyId = this.primitives.sha256(publicKey);
    if (this.knownRecipients.size >= KNOWN_RECIPIENTS_MAX) {
      this.knownRecipients.delete(this.knownRecipients.keys().next().value as string);
    }
    this.knownRecipients.set(bytesKey(publicKey), keyId);
    return keyId;
  }

  /** The remembered key id of a public key that passed validation before, else undefined. */
  private knownKeyId(publicKey: Uint8Array): Uint8Array | undefined {
    // Only a well-formed length can be in the map; other inputs are not worth encoding.
    return publicKey.length === P256_PUBLIC_KEY_BYTES ? this.knownRecipients.get(bytesKey(publicKey)) : undefined;
  }

  private sealSlot(
    dataKey: Uint8Array,
    recipientPublicKey: Uint8Array,
    keyId: Uint8Array,
    aad: Uint8Array,
  ): KeyEnvelopeSlot {
    const { enc, ciphertext } = this.suite.sealBase(recipientPublicKey, DATA_KEY_HPKE_INFO, aad, dataKey);
    return { keyId, enc, sealedDataKey: ciphertext };
  }

  /** Validates every key before any randomness is drawn; drops repeats, keeping first-seen order. */
  private distinctRecipients(recipients: Uint8Array[]): { publicKey: Uint8Array; keyId: Uint8Array }[] {
    const distinct: { publicKey: Uint8Array; keyId: Uint8Array }[] = [];
    for (const publicKey of recipients) {
      const keyId = this.validatedKeyId(publicKey);
      if (distinct.some((seen) => bytesEqual(seen.keyId, keyId))) continue;
      distinct.push({ publicKey, keyId });
    }
    if (distinct.length < 1 || distinct.length > MAX_KEY_ENVELOPE_SLOTS) {
      throw new ValidationFailedError(`A record must be sealed to 1..${MAX_KEY_ENVELOPE_SLOTS} keys.`, 'recipients');
    }
    return distinct;
  }
}

/** Cache key for a public key: its exact bytes, one latin1 character per byte (a bijection). */
function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/** Content nonce: I2OSP(partIndex, 12); see the class comment for why a counter is safe here. */
function partNonce(partIndex: number): Uint8Array {
  return i2osp(partIndex, GCM_NONCE_BYTES);
}

function assertDataKey(dataKey: DataKey): void {
  if (!(dataKey?.bytes instanceof Uint8Array) || dataKey.bytes.length !== AES256_KEY_BYTES) {
    throw new InvalidKeyError(`A data key must be ${AES256_KEY_BYTES} bytes.`);
  }
}
