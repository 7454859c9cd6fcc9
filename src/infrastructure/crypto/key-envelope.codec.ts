import { bytesEqual } from '../../domain/bytes';
import { DecryptionFailedError } from '../../domain/errors';
import { AES256_KEY_BYTES, GCM_TAG_BYTES, P256_PUBLIC_KEY_BYTES, SHA256_BYTES } from './crypto.constants';

/*
 * Key envelope wire formats (all offsets in bytes). Both start with version (1) and slot count (1);
 * the version fixes the slot layout.
 *
 * Version 2 — written for every new record and re-wrap (issue 13):
 *
 *   0     1   version            0x02
 *   1     1   slot count n       1..255
 *   2   113n  n slots, each:
 *         +0    65  enc              HPKE ephemeral public key, SEC 1 uncompressed (RFC 9180 §7.1.1)
 *         +65   48  sealed data key  AES-256-GCM(32-byte data key) || 16-byte tag
 *
 *   Exactly 2 + 113n bytes. No recipient identifier: a recipient finds its slot by trial
 *   decryption, so the envelope does not say who can read the record.
 *
 * Version 1 — read only (records sealed before v2):
 *
 *   0     1   version            0x01
 *   1     1   slot count n       1..255
 *   2   145n  n slots, each:
 *         +0    32  key id           SHA-256(recipient's 65-byte SEC 1 public key)
 *         +32   65  enc              as in v2
 *         +97   48  sealed data key  as in v2
 *
 *   Exactly 2 + 145n bytes.
 *
 * Any other version or length is malformed.
 */
export const KEY_ENVELOPE_V1 = 0x01;
export const KEY_ENVELOPE_V2 = 0x02;
export const KEY_ENVELOPE_VERSION_BYTES = 1;
export const KEY_ENVELOPE_COUNT_BYTES = 1;
export const KEY_ENVELOPE_HEADER_BYTES = KEY_ENVELOPE_VERSION_BYTES + KEY_ENVELOPE_COUNT_BYTES;
export const KEY_ID_BYTES = SHA256_BYTES;
export const ENC_BYTES = P256_PUBLIC_KEY_BYTES;
export const SEALED_DATA_KEY_BYTES = AES256_KEY_BYTES + GCM_TAG_BYTES;
export const KEY_ENVELOPE_V2_SLOT_BYTES = ENC_BYTES + SEALED_DATA_KEY_BYTES;
export const KEY_ENVELOPE_V1_SLOT_BYTES = KEY_ID_BYTES + ENC_BYTES + SEALED_DATA_KEY_BYTES;
/** The slot count is one octet. */
export const MAX_KEY_ENVELOPE_SLOTS = 0xff;

/** One HPKE-sealed copy of the data key (a v2 slot). */
export interface SealedDataKeySlot {
  readonly enc: Uint8Array;
  readonly sealedDataKey: Uint8Array;
}

/** A v1 slot: the sealed data key labelled with its recipient's key id. */
export interface KeyEnvelopeSlotV1 extends SealedDataKeySlot {
  readonly keyId: Uint8Array;
}

export type KeyEnvelope =
  | { readonly version: typeof KEY_ENVELOPE_V1; readonly slots: readonly KeyEnvelopeSlotV1[] }
  | { readonly version: typeof KEY_ENVELOPE_V2; readonly slots: readonly SealedDataKeySlot[] };

export type KeyEnvelopeV1 = Extract<KeyEnvelope, { version: typeof KEY_ENVELOPE_V1 }>;

/** A v2 envelope. Layout: see the wire format comment at the top of this file. */
export function encodeKeyEnvelopeV2(slots: readonly SealedDataKeySlot[]): Uint8Array {
  const envelope = newEnvelope(KEY_ENVELOPE_V2, slots.length, KEY_ENVELOPE_V2_SLOT_BYTES);
  slots.forEach((slot, index) => {
    assertSealedFields(slot);
    const start = KEY_ENVELOPE_HEADER_BYTES + index * KEY_ENVELOPE_V2_SLOT_BYTES;
    envelope.set(slot.enc, start);
    envelope.set(slot.sealedDataKey, start + ENC_BYTES);
  });
  return envelope;
}

/**
 * A v1 envelope, as releases before v2 wrote it. The cipher never writes v1 any more; this stays
 * so tests can build the envelopes that older records on the ledgers hold.
 */
export function encodeKeyEnvelopeV1(slots: readonly KeyEnvelopeSlotV1[]): Uint8Array {
  const envelope = newEnvelope(KEY_ENVELOPE_V1, slots.length, KEY_ENVELOPE_V1_SLOT_BYTES);
  slots.forEach((slot, index) => {
    assertSealedFields(slot);
    if (slot.keyId.length !== KEY_ID_BYTES) throw new RangeError('A key envelope slot field has the wrong length');
    const start = KEY_ENVELOPE_HEADER_BYTES + index * KEY_ENVELOPE_V1_SLOT_BYTES;
    envelope.set(slot.keyId, start);
    envelope.set(slot.enc, start + KEY_ID_BYTES);
    envelope.set(slot.sealedDataKey, start + KEY_ID_BYTES + ENC_BYTES);
  });
  return envelope;
}

/**
 * Either version; layout: see the wire format comment at the top of this file. Malformed input of
 * any kind raises DecryptionFailedError. The slot fields are views into `envelope`, valid while the
 * caller leaves it unchanged (reading a record opens one slot right away; nothing keeps them).
 */
export function decodeKeyEnvelope(envelope: unknown): KeyEnvelope {
  const { version, count } = describeKeyEnvelope(envelope);
  const bytes = envelope as Uint8Array;
  if (version === KEY_ENVELOPE_V1) {
    const slots: KeyEnvelopeSlotV1[] = [];
    for (let i = 0; i < count; i++) {
      // key id (32) | enc (65) | sealed data key (48), at 2 + 145 × i
      const start = KEY_ENVELOPE_HEADER_BYTES + i * KEY_ENVELOPE_V1_SLOT_BYTES;
      const encStart = start + KEY_ID_BYTES;
      const sealedStart = encStart + ENC_BYTES;
      slots.push({
        keyId: bytes.subarray(start, encStart),
        enc: bytes.subarray(encStart, sealedStart),
        sealedDataKey: bytes.subarray(sealedStart, sealedStart + SEALED_DATA_KEY_BYTES),
      });
    }
    return { version, slots };
  }
  const slots: SealedDataKeySlot[] = [];
  for (let i = 0; i < count; i++) {
    // enc (65) | sealed data key (48), at 2 + 113 × i
    const start = KEY_ENVELOPE_HEADER_BYTES + i * KEY_ENVELOPE_V2_SLOT_BYTES;
    const sealedStart = start + ENC_BYTES;
    slots.push({
      enc: bytes.subarray(start, sealedStart),
      sealedDataKey: bytes.subarray(sealedStart, sealedStart + SEALED_DATA_KEY_BYTES),
    });
  }
  return { version, slots };
}

/** The v1 slot whose key id equals `keyId`, or null. */
export function findKeyEnvelopeSlot(envelope: KeyEnvelopeV1, keyId: Uint8Array): KeyEnvelopeSlotV1 | null {
  return envelope.slots.find((slot) => bytesEqual(slot.keyId, keyId)) ?? null;
}

/**
 * Version and slot count after the header and total-length checks (exactly 2 + 145n bytes for
 * v1, 2 + 113n for v2); DecryptionFailedError for anything else.
 */
export function describeKeyEnvelope(envelope: unknown): {
  version: typeof KEY_ENVELOPE_V1 | typeof KEY_ENVELOPE_V2;
  count: number;
} {
  if (!(envelope instanceof Uint8Array) || envelope.length < KEY_ENVELOPE_HEADER_BYTES) {
    throw new DecryptionFailedError('The key envelope is malformed.');
  }
  const version = envelope[0];
  const count = envelope[KEY_ENVELOPE_VERSION_BYTES];
  let slotBytes: number;
  if (version === KEY_ENVELOPE_V1) slotBytes = KEY_ENVELOPE_V1_SLOT_BYTES;
  else if (version === KEY_ENVELOPE_V2) slotBytes = KEY_ENVELOPE_V2_SLOT_BYTES;
  else throw new DecryptionFailedError('The key envelope has an unsupported version.');
  if (count < 1 || envelope.length !== KEY_ENVELOPE_HEADER_BYTES + count * slotBytes) {
    throw new DecryptionFailedError('The key envelope is malformed.');
  }
  return { version, count };
}

function newEnvelope(version: number, count: number, slotBytes: number): Uint8Array {
  if (count < 1 || count > MAX_KEY_ENVELOPE_SLOTS) {
    throw new RangeError(`A key envelope holds 1..${MAX_KEY_ENVELOPE_SLOTS} slots`);
  }
  const envelope = new Uint8Array(KEY_ENVELOPE_HEADER_BYTES + count * slotBytes);
  envelope[0] = version;
  envelope[KEY_ENVELOPE_VERSION_BYTES] = count;
  return envelope;
}

function assertSealedFields(slot: SealedDataKeySlot): void {
  if (slot.enc.length !== ENC_BYTES || slot.sealedDataKey.length !== SEALED_DATA_KEY_BYTES) {
    throw new RangeError('A key envelope slot field has the wrong length');
  }
}
