import { createHash } from 'node:crypto';
import { bytesToHex, concatBytes, utf8 } from '../../domain/bytes';
import { DecryptionFailedError, InvalidKeyError, ValidationFailedError } from '../../domain/errors';
import { KeyPair } from '../../domain/ports/cipher.port';
import { RandomSource } from '../../domain/ports/random.port';
import { GCM_TAG_BYTES } from './crypto.constants';
import { HpkeP256Cipher } from './hpke-p256.cipher';
import { HpkePrimitives } from './hpke.primitives';
import { ENC_BYTES, KEY_ENVELOPE_HEADER_BYTES, KEY_ENVELOPE_SLOT_BYTES, KEY_ID_BYTES } from './key-envelope.codec';
import { NobleHpkePrimitives } from './noble.primitives';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';

/** Deterministic stream: SHA-256(seed || counter) blocks, so two ciphers can draw identical "randomness". */
class SeededRandom extends RandomSource {
  private counter = 0;

  constructor(private readonly seed: string) {
    super();
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = createHash('sha256').update(`${this.seed}/${this.counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  }
}

const BACKENDS: HpkePrimitives[] = [new NodeCryptoHpkePrimitives(), new NobleHpkePrimitives()];
const AAD = utf8('record:3f2a/version:1');
const PARTS = [utf8('{"kind":"lab-result"}'), new Uint8Array(3000).map((_, i) => i % 251), new Uint8Array(0)];

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] ^= 0x01;
  return copy;
}

/** Byte offset of field `fieldOffset` inside slot `slot` of an envelope. */
function slotOffset(slot: number, fieldOffset: number): number {
  return KEY_ENVELOPE_HEADER_BYTES + slot * KEY_ENVELOPE_SLOT_BYTES + fieldOffset;
}

async function openAll(cipher: HpkeP256Cipher, parts: Uint8Array[], envelope: Uint8Array, recipient: KeyPair) {
  const dataKey = await cipher.unwrap(envelope, recipient, AAD);
  return Promise.all(parts.map((part, index) => cipher.open(dataKey, part, index, AAD)));
}

describe.each(BACKENDS)('HpkeP256Cipher on $name', (primitives) => {
  const cipher = new HpkeP256Cipher(primitives);
  let alice: KeyPair;
  let bob: KeyPair;
  let carol: KeyPair;

  beforeAll(async () => {
    [alice, bob, carol] = await Promise.all([
      cipher.generateKeyPair(),
      cipher.generateKeyPair(),
      cipher.generateKeyPair(),
    ]);
  });

  it('generates a 32-byte private key and a 65-byte uncompressed public key', () => {
    expect(alice.privateKey).toHaveLength(32);
    expect(alice.publicKey).toHaveLength(65);
    expect(alice.publicKey[0]).toBe(0x04);
    expect(bytesToHex(primitives.p256PublicKey(alice.privateKey))).toBe(bytesToHex(alice.publicKey));
  });

  it('round-trips every part for a single recipient', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    expect(sealed.parts.map((part) => part.length)).toEqual(PARTS.map((part) => part.length + GCM_TAG_BYTES));
    expect(sealed.keyEnvelope).toHaveLength(KEY_ENVELOPE_HEADER_BYTES + KEY_ENVELOPE_SLOT_BYTES);
    const opened = await openAll(cipher, sealed.parts, sealed.keyEnvelope, alice);
    expect(opened.map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
  });

  it('round-trips for two recipients, each with their own slot', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    expect(sealed.keyEnvelope).toHaveLength(KEY_ENVELOPE_HEADER_BYTES + 2 * KEY_ENVELOPE_SLOT_BYTES);
    for (const recipient of [alice, bob]) {
      const opened = await openAll(cipher, sealed.parts, sealed.keyEnvelope, recipient);
      expect(opened.map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
    }
  });

  it('writes the documented layout: version, count, key id = SHA-256(public key), enc, sealed key', async () => {
    const { keyEnvelope } = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    expect([keyEnvelope[0], keyEnvelope[1]]).toEqual([0x01, 2]);
    const secondKeyId = keyEnvelope.subarray(slotOffset(1, 0), slotOffset(1, KEY_ID_BYTES));
    expect(bytesToHex(secondKeyId)).toBe(createHash('sha256').update(bob.publicKey).digest('hex'));
    const secondEnc = keyEnvelope.subarray(slotOffset(1, KEY_ID_BYTES), slotOffset(1, KEY_ID_BYTES + ENC_BYTES));
    expect(() => primitives.p256ValidatePublicKey(secondEnc)).not.toThrow();
    // Spelled out from the wire format comment: header 2, slot = key id 32 + enc 65 + sealed key 48.
    expect(keyEnvelope).toHaveLength(2 + 2 * (32 + 65 + 48));
  });

  it('leaves the envelope it unwraps untouched', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    const before = bytesToHex(sealed.keyEnvelope);
    await cipher.unwrap(sealed.keyEnvelope, bob, AAD);
    expect(bytesToHex(sealed.keyEnvelope)).toBe(before);
  });

  it('seals a repeated recipient once', async () => {
    const { keyEnvelope } = await cipher.seal(PARTS, [alice.publicKey, alice.publicKey], AAD);
    expect(keyEnvelope[1]).toBe(1);
  });

  it('addRecipient lets the new recipient open the unchanged content', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    const contentBefore = sealed.parts.map(bytesToHex);
    const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
    const widened = await cipher.addRecipient(sealed.keyEnvelope, dataKey, carol.publicKey, AAD);

    expect(widened[1]).toBe(2);
    expect(bytesToHex(widened.subarray(KEY_ENVELOPE_HEADER_BYTES, slotOffset(1, 0)))).toBe(
      bytesToHex(sealed.keyEnvelope.subarray(KEY_ENVELOPE_HEADER_BYTES)),
    );
    expect(sealed.parts.map(bytesToHex)).toEqual(contentBefore);
    const opened = await openAll(cipher, sealed.parts, widened, carol);
    expect(opened.map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
    await expect(cipher.unwrap(sealed.keyEnvelope, carol, AAD)).rejects.toThrow(DecryptionFailedError);
  });

  it('addRecipient for a recipient who already has a slot returns the same envelope', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
    const again = await cipher.addRecipient(sealed.keyEnvelope, dataKey, alice.publicKey, AAD);
    expect(bytesToHex(again)).toBe(bytesToHex(sealed.keyEnvelope));
  });

  describe('refuses', () => {
    let sealed: { parts: Uint8Array[]; keyEnvelope: Uint8Array };

    beforeAll(async () => {
      sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    });

    it('a recipient without a slot', async () => {
      await expect(cipher.unwrap(sealed.keyEnvelope, bob, AAD)).rejects.toThrow(DecryptionFailedError);
    });

    it("a slot's key id presented with the wrong private key", async () => {
      await expect(
        cipher.unwrap(sealed.keyEnvelope, { privateKey: bob.privateKey, publicKey: alice.publicKey }, AAD),
      ).rejects.toThrow(DecryptionFailedError);
    });

    it('a flipped byte in a content part', async () => {
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      await expect(cipher.open(dataKey, flipByte(sealed.parts[0], 0), 0, AAD)).rejects.toThrow(DecryptionFailedError);
      const tagStart = sealed.parts[1].length - GCM_TAG_BYTES;
      await expect(cipher.open(dataKey, flipByte(sealed.parts[1], tagStart), 1, AAD)).rejects.toThrow(
        DecryptionFailedError,
      );
    });

    it('a part opened under another index (swapped parts)', async () => {
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      await expect(cipher.open(dataKey, sealed.parts[0], 1, AAD)).rejects.toThrow(DecryptionFailedError);
      await expect(cipher.open(dataKey, sealed.parts[0], -1, AAD)).rejects.toThrow(DecryptionFailedError);
      await expect(cipher.open(dataKey, sealed.parts[0], 0.5, AAD)).rejects.toThrow(DecryptionFailedError);
    });

    it('a flipped byte in the sealed data key', async () => {
      const tampered = flipByte(sealed.keyEnvelope, slotOffset(0, KEY_ID_BYTES + ENC_BYTES));
      await expect(cipher.unwrap(tampered, alice, AAD)).rejects.toThrow(DecryptionFailedError);
    });

    it('a flipped byte in enc (x-coordinate, y-coordinate, prefix)', async () => {
      for (const fieldOffset of [KEY_ID_BYTES + 1, KEY_ID_BYTES + ENC_BYTES - 1, KEY_ID_BYTES]) {
        const tampered = flipByte(sealed.keyEnvelope, slotOffset(0, fieldOffset));
        await expect(cipher.unwrap(tampered, alice, AAD)).rejects.toThrow(DecryptionFailedError);
      }
    });

    it('a flipped byte in the key id', async () => {
      await expect(cipher.unwrap(flipByte(sealed.keyEnvelope, slotOffset(0, 0)), alice, AAD)).rejects.toThrow(
        DecryptionFailedError,
      );
    });

    it('a different aad, on unwrap and on open', async () => {
      const otherAad = utf8('record:3f2a/version:2');
      await expect(cipher.unwrap(sealed.keyEnvelope, alice, otherAad)).rejects.toThrow(DecryptionFailedError);
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      await expect(cipher.open(dataKey, sealed.parts[0], 0, otherAad)).rejects.toThrow(DecryptionFailedError);
    });

    it('a wrong data key', async () => {
      await expect(cipher.open({ bytes: new Uint8Array(32) }, sealed.parts[0], 0, AAD)).rejects.toThrow(
        DecryptionFailedError,
      );
      await expect(cipher.open({ bytes: new Uint8Array(16) }, sealed.parts[0], 0, AAD)).rejects.toThrow(
        InvalidKeyError,
      );
    });

    it.each([
      ['empty', () => new Uint8Array(0)],
      ['header only', () => sealed.keyEnvelope.subarray(0, KEY_ENVELOPE_HEADER_BYTES)],
      ['truncated by one byte', () => sealed.keyEnvelope.subarray(0, sealed.keyEnvelope.length - 1)],
      ['truncated mid-slot', () => sealed.keyEnvelope.subarray(0, slotOffset(0, KEY_ID_BYTES + 10))],
      ['one byte too long', () => concatBytes(sealed.keyEnvelope, new Uint8Array(1))],
      ['an unknown version', () => sealed.keyEnvelope.slice().fill(0x02, 0, 1)],
      ['a count of zero', () => sealed.keyEnvelope.slice().fill(0, 1, 2)],
      ['a well-formed header with no slots', () => new Uint8Array([0x01, 0x00])],
      ['a count larger than the slots', () => sealed.keyEnvelope.slice().fill(2, 1, 2)],
      ['not a Uint8Array', () => 'AQE=' as unknown as Uint8Array],
    ])('an envelope that is %s, as DecryptionFailedError', async (_, envelope) => {
      await expect(cipher.unwrap(envelope(), alice, AAD)).rejects.toThrow(DecryptionFailedError);
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      await expect(cipher.addRecipient(envelope(), dataKey, bob.publicKey, AAD)).rejects.toThrow(DecryptionFailedError);
    });

    it('off-curve and wrong-length recipient public keys, as InvalidKeyError', async () => {
      const offCurve = flipByte(bob.publicKey, 64);
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      for (const publicKey of [offCurve, bob.publicKey.subarray(0, 64), bob.publicKey.subarray(0, 33)]) {
        await expect(cipher.seal(PARTS, [alice.publicKey, publicKey], AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.addRecipient(sealed.keyEnvelope, dataKey, publicKey, AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.unwrap(sealed.keyEnvelope, { ...alice, publicKey }, AAD)).rejects.toThrow(InvalidKeyError);
      }
    });

    it('a look-alike of a remembered recipient key, one bit off, on seal, addRecipient and unwrap', async () => {
      // alice's key was validated and remembered by the seals above; the cache is keyed by the
      // exact 65 bytes, so a neighbour is validated afresh and refused.
      await cipher.seal(PARTS, [alice.publicKey], AAD);
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      for (const index of [1, 33, 64]) {
        const lookAlike = flipByte(alice.publicKey, index);
        await expect(cipher.seal(PARTS, [lookAlike], AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.addRecipient(sealed.keyEnvelope, dataKey, lookAlike, AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.unwrap(sealed.keyEnvelope, { ...alice, publicKey: lookAlike }, AAD)).rejects.toThrow(
          InvalidKeyError,
        );
      }
    });

    it('a tampered enc on every unwrap, between unwraps of the intact envelope', async () => {
      const tampered = flipByte(sealed.keyEnvelope, slotOffset(0, KEY_ID_BYTES + ENC_BYTES - 1));
      for (let round = 0; round < 3; round++) {
        const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
        expect(bytesToHex(await cipher.open(dataKey, sealed.parts[1], 1, AAD))).toBe(bytesToHex(PARTS[1]));
        await expect(cipher.unwrap(tampered, alice, AAD)).rejects.toThrow(DecryptionFailedError);
      }
    });

    it('an out-of-range recipient private key, as InvalidKeyError', async () => {
      const zero = { ...alice, privateKey: new Uint8Array(32) };
      await expect(cipher.unwrap(sealed.keyEnvelope, zero, AAD)).rejects.toThrow(InvalidKeyError);
    });

    it('a bad recipient before any randomness is drawn', async () => {
      const random = new SeededRandom('unused');
      const draw = jest.spyOn(random, 'bytes');
      const strict = new HpkeP256Cipher(primitives, random);
      await expect(strict.seal(PARTS, [alice.publicKey, flipByte(bob.publicKey, 64)], AAD)).rejects.toThrow(
        InvalidKeyError,
      );
      expect(draw).not.toHaveBeenCalled();
    });

    it('sealing to nobody', async () => {
      await expect(cipher.seal(PARTS, [], AAD)).rejects.toThrow(ValidationFailedError);
    });
  });
});

describe('HpkeP256Cipher backends agree', () => {
  const node = new NodeCryptoHpkePrimitives();
  const noble = new NobleHpkePrimitives();

  it('with the same randomness, both produce identical envelopes and part ciphertexts', async () => {
    const recipients = [
      await new HpkeP256Cipher(node, new SeededRandom('recipient-a')).generateKeyPair(),
      await new HpkeP256Cipher(node, new SeededRandom('recipient-b')).generateKeyPair(),
    ].map((pair) => pair.publicKey);
    const fromNode = await new HpkeP256Cipher(node, new SeededRandom('seal')).seal(PARTS, recipients, AAD);
    const fromNoble = await new HpkeP256Cipher(noble, new SeededRandom('seal')).seal(PARTS, recipients, AAD);
    expect(bytesToHex(fromNoble.keyEnvelope)).toBe(bytesToHex(fromNode.keyEnvelope));
    expect(fromNoble.parts.map(bytesToHex)).toEqual(fromNode.parts.map(bytesToHex));
  });

  it('derive the same key pair from the same randomness', async () => {
    const fromNode = await new HpkeP256Cipher(node, new SeededRandom('key')).generateKeyPair();
    const fromNoble = await new HpkeP256Cipher(noble, new SeededRandom('key')).generateKeyPair();
    expect(bytesToHex(fromNoble.privateKey)).toBe(bytesToHex(fromNode.privateKey));
    expect(bytesToHex(fromNoble.publicKey)).toBe(bytesToHex(fromNode.publicKey));
  });

  it.each([
    ['node:crypto', 'noble', node, noble],
    ['noble', 'node:crypto', noble, node],
  ])('a key pair and envelope made with %s open with %s', async (_, __, makeWith, openWith) => {
    const maker = new HpkeP256Cipher(makeWith);
    const opener = new HpkeP256Cipher(openWith);
    const recipient = await maker.generateKeyPair();
    const sealed = await maker.seal(PARTS, [recipient.publicKey], AAD);
    const opened = await openAll(opener, sealed.parts, sealed.keyEnvelope, recipient);
    expect(opened.map(bytesToHex)).toEqual(PARTS.map(bytesToHex));

    const dataKey = await opener.unwrap(sealed.keyEnvelope, recipient, AAD);
    const other = await opener.generateKeyPair();
    const widened = await opener.addRecipient(sealed.keyEnvelope, dataKey, other.publicKey, AAD);
    expect((await openAll(maker, sealed.parts, widened, other)).map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
  });

  it('uses a fresh data key and fresh ephemeral keys per seal', async () => {
    const cipher = new HpkeP256Cipher();
    const recipient = await cipher.generateKeyPair();
    const first = await cipher.seal(PARTS, [recipient.publicKey], AAD);
    const second = await cipher.seal(PARTS, [recipient.publicKey], AAD);
    expect(bytesToHex(second.parts[0])).not.toBe(bytesToHex(first.parts[0]));
    expect(bytesToHex(second.keyEnvelope)).not.toBe(bytesToHex(first.keyEnvelope));
  });
});

describe('HpkeP256Cipher.isRecipient', () => {
  it('tells which public keys hold a slot, and says no for a malformed envelope', async () => {
    const cipher = new HpkeP256Cipher();
    const [alice, bob, carol] = [
      await cipher.generateKeyPair(),
      await cipher.generateKeyPair(),
      await cipher.generateKeyPair(),
    ];
    const aad = new Uint8Array([1, 2, 3]);
    const { keyEnvelope } = await cipher.seal([new Uint8Array([9])], [alice.publicKey, bob.publicKey], aad);
    expect(cipher.isRecipient(keyEnvelope, alice.publicKey)).toBe(true);
    expect(cipher.isRecipient(keyEnvelope, bob.publicKey)).toBe(true);
    expect(cipher.isRecipient(keyEnvelope, carol.publicKey)).toBe(false);
    expect(cipher.isRecipient(keyEnvelope.subarray(0, 10), alice.publicKey)).toBe(false);
  });
});
