import { bytesToHex } from '../../domain/bytes';
import { DecryptionFailedError } from '../../domain/errors';
import {
  decodeKeyEnvelope,
  encodeKeyEnvelope,
  findKeyEnvelopeSlot,
  KEY_ENVELOPE_SLOT_BYTES,
  KeyEnvelopeSlot,
} from './key-envelope.codec';

function slot(seed: number): KeyEnvelopeSlot {
  return {
    keyId: new Uint8Array(32).fill(seed),
    enc: new Uint8Array(65).fill(seed + 1),
    sealedDataKey: new Uint8Array(48).fill(seed + 2),
  };
}

const hexSlot = (s: KeyEnvelopeSlot): string[] => [bytesToHex(s.keyId), bytesToHex(s.enc), bytesToHex(s.sealedDataKey)];

describe('key envelope codec', () => {
  const slots = [slot(0x10), slot(0x20), slot(0x30)];
  const envelope = encodeKeyEnvelope(slots);

  it('finds the slot with the given key id, as decodeKeyEnvelope reads it', () => {
    const decoded = decodeKeyEnvelope(envelope);
    for (let i = 0; i < slots.length; i++) {
      const found = findKeyEnvelopeSlot(envelope, slots[i].keyId);
      expect(found).not.toBeNull();
      expect(hexSlot(found!)).toEqual(hexSlot(decoded[i]));
    }
  });

  it('returns null for a key id that has no slot', () => {
    expect(findKeyEnvelopeSlot(envelope, new Uint8Array(32).fill(0x40))).toBeNull();
  });

  it('finds views into the envelope, where decodeKeyEnvelope returns copies', () => {
    const found = findKeyEnvelopeSlot(envelope, slots[1].keyId)!;
    expect(found.enc.buffer).toBe(envelope.buffer);
    expect(decodeKeyEnvelope(envelope)[1].enc.buffer).not.toBe(envelope.buffer);
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['one byte short', envelope.subarray(0, envelope.length - 1)],
    ['a count past the slots', Uint8Array.from(envelope, (byte, i) => (i === 1 ? 4 : byte))],
    ['a zero count', new Uint8Array([0x01, 0x00])],
    ['an unknown version', Uint8Array.from(envelope, (byte, i) => (i === 0 ? 2 : byte))],
    ['not bytes', 'AQE=' as unknown as Uint8Array],
  ])('refuses an envelope that is %s, as decodeKeyEnvelope does', (_, bad) => {
    expect(() => findKeyEnvelopeSlot(bad, slots[0].keyId)).toThrow(DecryptionFailedError);
    expect(() => decodeKeyEnvelope(bad)).toThrow(DecryptionFailedError);
  });

  it('lays out 2 + 145 bytes per slot', () => {
    expect(envelope).toHaveLength(2 + slots.length * KEY_ENVELOPE_SLOT_BYTES);
  });
});
