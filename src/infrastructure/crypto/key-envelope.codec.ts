import { bytesEqual } from '../../domain/bytes';
import { DecryptionFailedError } from '../../domain/errors';
import { AES256_KEY_BYTES, GCM_TAG_BYTES, P256_PUBLIC_KEY_BYTES, SHA256_BYTES } from './crypto.constants';

/*
 * Key envelope wire format, version 1 (all offsets in bytes):
 *
 *   0     1   version            0x01
 *   1     1   slot count n       1..255
 *   2   145n  n slots, each:
 *         +0    32  key id           SHA-256(recipient's 65-byte SEC 1 public key)
 *         +32   65  enc              HPKE ephemeral public key, SEC 1 uncompressed (RFC 9180 §7.1.1)
 *         +97   48  sealed data key  AES-256-GCM(32-byte data key) || 16-byte tag
 *
 * Total length is exactly 2 + 145n; anything else is malformed.
 */
export const KEY_ENVELOPE_VERSION = 0x01;
export const KEY_ENVELOPE_VERSION_BYTES = 1;
export const KEY_ENVELOPE_COUNT_BYTES = 1;
export const KEY_ENVELOPE_HEADER_BYTES = KEY_ENVELOPE_VERSION_BYTES + KEY_ENVELOPE_COUNT_BYTES;
export const KEY_ID_BYTES = SHA256_BYTES;
export const ENC_BYTES = P256_PUBLIC_KEY_BYTES;
export const SEALED_DATA_KEY_BYTES = AES256_KEY_BYTES + GCM_TAG_BYTES;
export const KEY_ENVELOPE_SLOT_BYTES = KEY_ID_BYTES + ENC_BYTES + SEALED_DATA_KEY_BYTES;
/** The slot count is one octet. */
export const MAX_KEY_ENVELOPE_SLOTS = 0xff;

export interface KeyEnvelopeSlot {
  readonly keyId: Uint8Array;
  readonly enc: Uint8Array;
  readonly sealedDataKey: Uint8Array;
}

/** Layout: see the wire format comment at the top of this file. */
export function encodeKeyEnvelope(slots: readonly KeyEnvelopeSlot[]): Uint8Array {
  if (slots.length < 1 || slots.length > MAX_KEY_ENVELOPE_SLOTS) {
    throw new RangeError(`A key envelope holds 1..${MAX_KEY_ENVELOPE_SLOTS} slots`);
  }
  const envelope = new Uint8Array(KEY_ENVELOPE_HEADER_BYTES + slots.length * KEY_ENVELOPE_SLOT_BYTES);
  envelope[0] = KEY_ENVELOPE_VERSION;
  envelope[KEY_ENVELOPE_VERSION_BYTES] = slots.length;
  slots.forEach((slot, index) => {
    if (
      slot.keyId.length !== KEY_ID_BYTES ||
      slot.enc.length !== ENC_BYTES ||
      slot.sealedDataKey.length !== SEALED_DATA_KEY_BYTES
    ) {
      throw new RangeError('A key envelope slot field has the wrong length');
    }
    const start = KEY_ENVELOPE_HEADER_BYTES + index * KEY_ENVELOPE_SLOT_BYTES;
    envelope.set(slot.keyId, start);
    envelope.set(slot.enc, start + KEY_ID_BYTES);
    envelope.set(slot.sealedDataKey, start + KEY_ID_BYTES + ENC_BYTES);
  });
  return envelope;
}

/**
 * Layout: version (1) | count n (1) | n × [key id (32) | enc (65) | sealed data key (48)].
 * Malformed input of any kind raises DecryptionFailedError. Slots are copies, so callers
 * may keep them after the input buffer is reused.
 */
export function decodeKeyEnvelope(envelope: unknown): KeyEnvelopeSlot[] {
  const count = checkedSlotCount(envelope);
  const slots: KeyEnvelopeSlot[] = [];
  for (let i = 0; i < count; i++) {
    const slot = slotAt(envelope as Uint8Array, i);
    slots.push({ keyId: slot.keyId.slice(), enc: slot.enc.slice(), sealedDataKey: slot.sealedDataKey.slice() });
  }
  return slots;
}

/**
 * The slot whose key id equals `keyId`, or null; malformed input raises DecryptionFailedError,
 * as decodeKeyEnvelope does. Reading a record needs one slot, so the others are not copied: the
 * fields are views into `envelope`, valid while the caller leaves it unchanged.
 */
export function findKeyEnvelopeSlot(envelope: unknown, keyId: Uint8Array): KeyEnvelopeSlot | null {
  const count = checkedSlotCount(envelope);
  for (let i = 0; i < count; i++) {
    const slot = slotAt(envelope as Uint8Array, i);
    if (bytesEqual(slot.keyId, keyId)) return slot;
  }
  return null;
}

/** The slot count n after the header and total-length checks (exactly 2 + 145n bytes). */
function checkedSlotCount(envelope: unknown): number {
  if (!(envelope instanceof Uint8Array) || envelope.length < KEY_ENVELOPE_HEADER_BYTES) {
    throw new DecryptionFailedError('The key envelope is malformed.');
  }
  const version = envelope[0];
  const count = envelope[KEY_ENVELOPE_VERSION_BYTES];
  if (version !== KEY_ENVELOPE_VERSION) {
    throw new DecryptionFailedError('The key envelope has an unsupported version.');
  }
  if (count < 1 || envelope.length !== KEY_ENVELOPE_HEADER_BYTES + count * KEY_ENVELOPE_SLOT_BYTES) {
    throw new DecryptionFailedError('The key envelope is malformed.');
  }
  return count;
}

/** Slot `index` as views: key id (32) | enc (65) | sealed data key (48), at 2 + 145 × index. */
function slotAt(envelope: Uint8Array, index: number): KeyEnvelopeSlot {
  const start = KEY_ENVELOPE_HEADER_BYTES + index * KEY_ENVELOPE_SLOT_BYTES;
  const encStart = start + KEY_ID_BYTES;
  const sealedStart = encStart + ENC_BYTES;
  return {
    keyId: envelope.subarray(start, encStart),
    enc: envelope.subarray(encStart, sealedStart),
    sealedDataKey: envelope.subarray(sealedStart, sealedStart + SEALED_DATA_KEY_BYTES),
  };
}
