import { bytesToHex } from '../../domain/bytes';
import { DecryptionFailedError } from '../../domain/errors';
import {
  decodeKeyEnvelope,
  describeKeyEnvelope,
  encodeKeyEnvelopeV1,
  encodeKeyEnvelopeV2,
  findKeyEnvelopeSlot,
  KeyEnvelopeSlotV1,
  KeyEnvelopeV1,
  SealedDataKeySlot,
} from './key-envelope.codec';

function v2Slot(seed: number): SealedDataKeySlot {
  return { enc: new Uint8Array(65).fill(seed), sealedDataKey: new Uint8Array(48).fill(seed + 1) };
}

function v1Slot(seed: number): KeyEnvelopeSlotV1 {
  return { keyId: new Uint8Array(32).fill(seed + 2), ...v2Slot(seed) };
}

const hexSlot = (slot: SealedDataKeySlot): string[] => [bytesToHex(slot.enc), bytesToHex(slot.sealedDataKey)];
const withByte = (bytes: Uint8Array, index: number, value: number) =>
  Uint8Array.from(bytes, (byte, i) => (i === index ? value : byte));

describe('key envelope codec', () => {
  describe('#13 v2', () => {
    const slots = [v2Slot(0x10), v2Slot(0x20), v2Slot(0x30)];
    const envelope = encodeKeyEnvelopeV2(slots);

    it('lays out version 2, the count, then 65 + 48 bytes per slot, nothing else', () => {
      expect([envelope[0], envelope[1]]).toEqual([0x02, 3]);
      expect(envelope).toHaveLength(2 + 3 * (65 + 48));
      expect(bytesToHex(envelope.subarray(2 + 113, 2 + 113 + 65))).toBe(bytesToHex(slots[1].enc));
      expect(bytesToHex(envelope.subarray(2 + 113 + 65, 2 + 2 * 113))).toBe(bytesToHex(slots[1].sealedDataKey));
    });

    it('decodes what it encodes, slot for slot and in order, with no key ids', () => {
      const decoded = decodeKeyEnvelope(envelope);
      expect(decoded.version).toBe(2);
      expect(decoded.slots.map(hexSlot)).toEqual(slots.map(hexSlot));
      expect(decoded.slots[0]).not.toHaveProperty('keyId');
      expect(describeKeyEnvelope(envelope)).toEqual({ version: 2, count: 3 });
    });
  });

  describe('v1 (read; written only by releases before v2)', () => {
    const slots = [v1Slot(0x10), v1Slot(0x20), v1Slot(0x30)];
    const envelope = encodeKeyEnvelopeV1(slots);

    it('lays out 2 + 145 bytes per slot', () => {
      expect([envelope[0], envelope[1]]).toEqual([0x01, 3]);
      expect(envelope).toHaveLength(2 + slots.length * (32 + 65 + 48));
    });

    it('finds the slot with the given key id, as decodeKeyEnvelope reads it', () => {
      const decoded = decodeKeyEnvelope(envelope) as KeyEnvelopeV1;
      expect(decoded.version).toBe(1);
      for (const slot of slots) {
        const found = findKeyEnvelopeSlot(decoded, slot.keyId);
        expect(found).not.toBeNull();
        expect(bytesToHex(found!.keyId)).toBe(bytesToHex(slot.keyId));
        expect(hexSlot(found!)).toEqual(hexSlot(slot));
      }
    });

    it('returns null for a key id that has no slot', () => {
      const decoded = decodeKeyEnvelope(envelope) as KeyEnvelopeV1;
      expect(findKeyEnvelopeSlot(decoded, new Uint8Array(32).fill(0x40))).toBeNull();
    });
  });

  it('decodes views into the envelope, not copies', () => {
    const envelope = encodeKeyEnvelopeV2([v2Slot(1)]);
    expect(decodeKeyEnvelope(envelope).slots[0].enc.buffer).toBe(envelope.buffer);
  });

  const v2 = encodeKeyEnvelopeV2([v2Slot(0x10), v2Slot(0x20)]);
  const v1 = encodeKeyEnvelopeV1([v1Slot(0x10), v1Slot(0x20)]);
  it.each([
    ['empty', new Uint8Array(0)],
    ['v2 one byte short', v2.subarray(0, v2.length - 1)],
    ['v1 one byte short', v1.subarray(0, v1.length - 1)],
    ['v2 with a count past the slots', withByte(v2, 1, 3)],
    ['a zero count', new Uint8Array([0x02, 0x00])],
    ['v2 slots labelled v1', withByte(v2, 0, 0x01)],
    ['v1 slots labelled v2', withByte(v1, 0, 0x02)],
    ['an unknown version', withByte(v2, 0, 0x03)],
    ['not bytes', 'AgE=' as unknown as Uint8Array],
  ])('refuses an envelope that is %s, as DecryptionFailedError', (_, bad) => {
    expect(() => decodeKeyEnvelope(bad)).toThrow(DecryptionFailedError);
    expect(() => describeKeyEnvelope(bad)).toThrow(DecryptionFailedError);
  });

  it('encodes 1..255 slots of the right field lengths only', () => {
    expect(() => encodeKeyEnvelopeV2([])).toThrow(RangeError);
    expect(() => encodeKeyEnvelopeV2(Array.from({ length: 256 }, () => v2Slot(1)))).toThrow(RangeError);
    expect(encodeKeyEnvelopeV2(Array.from({ length: 255 }, () => v2Slot(1)))).toHaveLength(2 + 255 * 113);
    expect(() => encodeKeyEnvelopeV2([{ ...v2Slot(1), enc: new Uint8Array(33) }])).toThrow(RangeError);
    expect(() => encodeKeyEnvelopeV1([{ ...v1Slot(1), keyId: new Uint8Array(31) }])).toThrow(RangeError);
  });
});
