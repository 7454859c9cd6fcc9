import { bytesEqual, utf8 } from '../../domain/bytes';
import { DecryptionFailedError, InvalidKeyError, ValidationFailedError } from '../../domain/errors';
import { Cipher, DataKey, EnvelopeDescription, KeyPair, SealedParts } from '../../domain/ports/cipher.port';
import { RandomSource } from '../../domain/ports/random.port';
import { AES256_KEY_BYTES, GCM_NONCE_BYTES, P256_PUBLIC_KEY_BYTES } from './crypto.constants';
import { HpkeP256Suite } from './hpke-p256.suite';
import { HpkePrimitives } from './hpke.primitives';
import { i2osp } from './integer-encoding';
import {
  decodeKeyEnvelope,
  describeKeyEnvelope,
  encodeKeyEnvelopeV2,
  findKeyEnvelopeSlot,
  KEY_ENVELOPE_V1,
  MAX_KEY_ENVELOPE_SLOTS,
  SealedDataKeySlot,
} from './key-envelope.codec';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';
import { NodeRandomSource } from './node-crypto.random';

/**
 * HPKE `info` for sealing a data key in a v2 envelope (RFC 9180 §5.1): binds the slot to this use
 * and format version, so a v2 slot cannot be passed off as a v1 one or the other way round.
 */
export const DATA_KEY_HPKE_INFO = utf8('patient-centric-emr/v2/data-key');
/** HPKE `info` of v1 envelopes, which are still read but never written. */
export const DATA_KEY_HPKE_INFO_V1 = utf8('patient-centric-emr/v1/data-key');

/**
 * How many recipients' validated public keys and key ids to remember. The same patients' and
 * providers' keys come back on every seal and read; beyond this many, the oldest is forgotten
 * and simply checked again when it returns.
 */
const KNOWN_RECIPIENTS_MAX = 1_024;

/** One message for every way a recipient fails to get a data key, so errors never tell which slot was tried. */
const NO_SLOT_OPENS = 'No slot of the key envelope opens for this recipient.';

/**
 * Envelope encryption over RFC 9180 HPKE (base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM).
 *
 * Content: each part is AES-256-GCM(dataKey, nonce = I2OSP(partIndex, 12), aad) and is
 * ciphertext || 16-byte tag. The deterministic nonce is safe because seal() draws a fresh
 * 32-byte data key for every record and uses each part index once under it, so no
 * (key, nonce) pair ever repeats; nothing else encrypts under a data key (sealDataKey
 * only re-wraps it). Putting the index in the nonce also makes swapped parts fail to open.
 *
 * Key envelope: the data key sealed to each recipient with single-shot HPKE (info =
 * DATA_KEY_HPKE_INFO, aad = the record's aad); layouts of v2 (written) and v1 (read) in
 * key-envelope.codec.ts. A v2 slot names no recipient: unwrap tries the recipient's key on each
 * slot in order and takes the first that authenticates; a slot that does not open is skipped.
 *
 * Randomness (data keys, HPKE ephemeral keys) comes only from `random`, in a fixed order —
 * data key first, then one ephemeral IKM per slot — so a pinned RandomSource pins the output.
 */
export class HpkeP256Cipher extends Cipher {
  private readonly suite: HpkeP256Suite;
  /**
   * latin1(public key) -> SHA-256 key id, for keys that passed p256ValidatePublicKey, oldest first.
   * Both facts are pure functions of the 65 bytes, so remembering them by those exact bytes
   * weakens nothing: a key one bit apart is another entry, validated afresh. Seals use the
   * validation, v1 unwraps the key id. The key ids are shared: read them, never write them.
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
    return { parts: sealedParts, keyEnvelope: this.sealSlots(dataKey, uniqueRecipients, aad) };
  }

  /**
   * Re-wraps a data key for further recipients; the content is not touched. The data key is not
   * checked against any envelope (no private key of a recipient is at hand): readers check it,
   * because a key that does not open the record's signed header counts as no key.
   */
  async sealDataKey(dataKey: DataKey, recipientPublicKeys: Uint8Array[], aad: Uint8Array): Promise<Uint8Array> {
    assertDataKey(dataKey);
    return this.sealSlots(dataKey.bytes, this.distinctRecipients(recipientPublicKeys), aad);
  }

  async unwrap(keyEnvelope: Uint8Array, recipient: KeyPair, aad: Uint8Array): Promise<DataKey> {
    const keyId = this.validatedRecipient(recipient);
    const dataKey = this.openEnvelope(keyEnvelope, recipient, keyId, aad);
    if (dataKey === null) throw new DecryptionFailedError(NO_SLOT_OPENS);
    return { bytes: dataKey };
  }

  async tryUnwrap(keyEnvelopes: readonly Uint8Array[], recipient: KeyPair, aad: Uint8Array): Promise<DataKey | null> {
    // A bad recipient key is the caller's fault, not an envelope's: it is refused, not skipped.
    const keyId = this.validatedRecipient(recipient);
    for (const keyEnvelope of keyEnvelopes) {
      let dataKey: Uint8Array | null;
      try {
        dataKey = this.openEnvelope(keyEnvelope, recipient, keyId, aad);
      } catch (error) {
        if (error instanceof DecryptionFailedError) continue;
        throw error;
      }
      if (dataKey !== null) return { bytes: dataKey };
    }
    return null;
  }

  describeEnvelope(keyEnvelope: Uint8Array): EnvelopeDescription {
    const { version, count } = describeKeyEnvelope(keyEnvelope);
    return { version, slots: count };
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
   * The data key from the recipient's slot, or null when no slot opens; DecryptionFailedError only
   * for a malformed envelope. v1: the slot with the recipient's key id. v2: trial decryption in slot
   * order, first success wins. Runs synchronously, so the slot views cannot change underneath it.
   */
  private openEnvelope(
    keyEnvelope: Uint8Array,
    recipient: KeyPair,
    keyId: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array | null {
    const envelope = decodeKeyEnvelope(keyEnvelope);
    if (envelope.version === KEY_ENVELOPE_V1) {
      const slot = findKeyEnvelopeSlot(envelope, keyId);
      return slot === null ? null : this.openSlot(slot, DATA_KEY_HPKE_INFO_V1, recipient, aad);
    }
    for (const slot of envelope.slots) {
      const dataKey = this.openSlot(slot, DATA_KEY_HPKE_INFO, recipient, aad);
      if (dataKey !== null) return dataKey;
    }
    return null;
  }

  /** The slot's data key, or null when it does not open under this recipient's key. */
  private openSlot(slot: SealedDataKeySlot, info: Uint8Array, recipient: KeyPair, aad: Uint8Array): Uint8Array | null {
    let dataKey: Uint8Array;
    try {
      dataKey = this.suite.openBase(slot.enc, recipient.privateKey, info, aad, slot.sealedDataKey, recipient.publicKey);
    } catch (error) {
      // The recipient's key was checked before, so an InvalidKeyError here means a bad `enc`:
      // a tampered slot, which is one that does not open, like a slot for someone else.
      if (error instanceof InvalidKeyError || error instanceof DecryptionFailedError) return null;
      throw error;
    }
    return dataKey.length === AES256_KEY_BYTES ? dataKey : null;
  }

  /** InvalidKeyError unless the pair's halves are a P-256 point and a scalar in range; its key id. */
  private validatedRecipient(recipient: KeyPair): Uint8Array {
    const keyId = this.validatedKeyId(recipient.publicKey);
    if (!this.primitives.p256IsValidPrivateKey(recipient.privateKey)) {
      throw new InvalidKeyError('A P-256 private key must be a 32-byte scalar in [1, n-1].');
    }
    return keyId;
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
    return publicKey instanceof Uint8Array && publicKey.length === P256_PUBLIC_KEY_BYTES
      ? this.knownRecipients.get(bytesKey(publicKey))
      : undefined;
  }

  /** A v2 envelope: one HPKE slot per recipient, in order, each drawing one ephemeral key. */
  private sealSlots(dataKey: Uint8Array, recipients: readonly Uint8Array[], aad: Uint8Array): Uint8Array {
    const slots = recipients.map((publicKey): SealedDataKeySlot => {
      const { enc, ciphertext } = this.suite.sealBase(publicKey, DATA_KEY_HPKE_INFO, aad, dataKey);
      return { enc, sealedDataKey: ciphertext };
    });
    return encodeKeyEnvelopeV2(slots);
  }

  /** Validates every key before any randomness is drawn; drops repeats, keeping first-seen order. */
  private distinctRecipients(recipients: readonly Uint8Array[]): Uint8Array[] {
    const distinct: Uint8Array[] = [];
    for (const publicKey of recipients) {
      this.validatedKeyId(publicKey);
      if (distinct.some((seen) => bytesEqual(seen, publicKey))) continue;
      distinct.push(publicKey);
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
