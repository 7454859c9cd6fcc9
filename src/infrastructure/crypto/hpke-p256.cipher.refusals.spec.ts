import { bytesToHex, concatBytes, utf8 } from '../../domain/bytes';
import { DecryptionFailedError, InvalidKeyError, ValidationFailedError } from '../../domain/errors';
import { KeyPair } from '../../domain/ports/cipher.port';
import { SeededRandom } from '../../../test/fakes/seeded-random';
import { GCM_TAG_BYTES } from './crypto.constants';
import { HpkeP256Cipher } from './hpke-p256.cipher';
import { HpkePrimitives } from './hpke.primitives';
import { ENC_BYTES, KEY_ENVELOPE_HEADER_BYTES, KEY_ENVELOPE_V2_SLOT_BYTES } from './key-envelope.codec';
import { NobleHpkePrimitives } from './noble.primitives';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';

const BACKENDS: HpkePrimitives[] = [new NodeCryptoHpkePrimitives(), new NobleHpkePrimitives()];
const AAD = utf8('record:3f2a/version:1');
const PARTS = [utf8('{"kind":"lab-result"}'), new Uint8Array(3000).map((_, i) => i % 251), new Uint8Array(0)];

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] ^= 0x01;
  return copy;
}

/** Byte offset of field `fieldOffset` inside slot `slot` of a v2 envelope (enc 65 | sealed data key 48). */
function slotOffset(slot: number, fieldOffset: number): number {
  return KEY_ENVELOPE_HEADER_BYTES + slot * KEY_ENVELOPE_V2_SLOT_BYTES + fieldOffset;
}

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** What HpkeP256Cipher refuses, and with which domain error; what it produces is in hpke-p256.cipher.spec.ts. */
describe.each(BACKENDS)('HpkeP256Cipher on $name', (primitives) => {
  const cipher = new HpkeP256Cipher(primitives);
  let alice: KeyPair;
  let bob: KeyPair;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([cipher.generateKeyPair(), cipher.generateKeyPair()]);
  });

  describe('refuses', () => {
    let sealed: { parts: Uint8Array[]; keyEnvelope: Uint8Array };

    beforeAll(async () => {
      sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    });

    it('a recipient without a slot', async () => {
      await expect(cipher.unwrap(sealed.keyEnvelope, bob, AAD)).rejects.toThrow(DecryptionFailedError);
    });

    it("a slot's public key presented with the wrong private key", async () => {
      const mismatched = { privateKey: bob.privateKey, publicKey: alice.publicKey };
      await expect(cipher.unwrap(sealed.keyEnvelope, mismatched, AAD)).rejects.toThrow(DecryptionFailedError);
      await expect(cipher.tryUnwrap([sealed.keyEnvelope], mismatched, AAD)).resolves.toBeNull();
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

    it('#13 a flipped byte in the sealed data key of a v2 envelope', async () => {
      const tampered = flipByte(sealed.keyEnvelope, slotOffset(0, ENC_BYTES));
      await expect(cipher.unwrap(tampered, alice, AAD)).rejects.toThrow(DecryptionFailedError);
      await expect(cipher.tryUnwrap([tampered], alice, AAD)).resolves.toBeNull();
    });

    it('#13 a flipped byte in enc (x-coordinate, y-coordinate, prefix) of a v2 envelope', async () => {
      for (const fieldOffset of [1, ENC_BYTES - 1, 0]) {
        const tampered = flipByte(sealed.keyEnvelope, slotOffset(0, fieldOffset));
        await expect(cipher.unwrap(tampered, alice, AAD)).rejects.toThrow(DecryptionFailedError);
        await expect(cipher.tryUnwrap([tampered], alice, AAD)).resolves.toBeNull();
      }
    });

    it('#13 errors do not tell a tampered slot, a slot for someone else and no slot apart', async () => {
      const two = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
      const bobTampered = flipByte(two.keyEnvelope, slotOffset(1, ENC_BYTES + 3));
      const aliceTampered = flipByte(two.keyEnvelope, slotOffset(0, ENC_BYTES + 3));
      // Each slot opens or is skipped on its own: tampering with one leaves the other readable.
      await expect(cipher.unwrap(bobTampered, alice, AAD)).resolves.toBeDefined();
      await expect(cipher.unwrap(aliceTampered, bob, AAD)).resolves.toBeDefined();
      const errors = [
        await rejection(cipher.unwrap(bobTampered, bob, AAD)),
        await rejection(cipher.unwrap(aliceTampered, alice, AAD)),
        await rejection(cipher.unwrap(sealed.keyEnvelope, bob, AAD)),
      ];
      for (const error of errors) {
        expect(error).toBeInstanceOf(DecryptionFailedError);
        expect({ code: (error as DecryptionFailedError).code, message: (error as Error).message }).toEqual({
          code: (errors[0] as DecryptionFailedError).code,
          message: (errors[0] as Error).message,
        });
      }
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
      ['truncated mid-slot', () => sealed.keyEnvelope.subarray(0, slotOffset(0, ENC_BYTES + 10))],
      ['one byte too long', () => concatBytes(sealed.keyEnvelope, new Uint8Array(1))],
      ['an unknown version', () => sealed.keyEnvelope.slice().fill(0x03, 0, 1)],
      ['v2 slots labelled v1', () => sealed.keyEnvelope.slice().fill(0x01, 0, 1)],
      ['a count of zero', () => sealed.keyEnvelope.slice().fill(0, 1, 2)],
      ['a well-formed header with no slots', () => new Uint8Array([0x02, 0x00])],
      ['a count larger than the slots', () => sealed.keyEnvelope.slice().fill(2, 1, 2)],
      ['not a Uint8Array', () => 'AQE=' as unknown as Uint8Array],
    ])('an envelope that is %s: DecryptionFailedError, and no slot for tryUnwrap', async (_, envelope) => {
      await expect(cipher.unwrap(envelope(), alice, AAD)).rejects.toThrow(DecryptionFailedError);
      expect(() => cipher.describeEnvelope(envelope())).toThrow(DecryptionFailedError);
      await expect(cipher.tryUnwrap([envelope()], alice, AAD)).resolves.toBeNull();
      const found = await cipher.tryUnwrap([envelope(), sealed.keyEnvelope], alice, AAD);
      expect(found).not.toBeNull();
    });

    it('off-curve and wrong-length recipient public keys, as InvalidKeyError', async () => {
      const offCurve = flipByte(bob.publicKey, 64);
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      for (const publicKey of [offCurve, bob.publicKey.subarray(0, 64), bob.publicKey.subarray(0, 33)]) {
        await expect(cipher.seal(PARTS, [alice.publicKey, publicKey], AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.sealDataKey(dataKey, [alice.publicKey, publicKey], AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.unwrap(sealed.keyEnvelope, { ...alice, publicKey }, AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.tryUnwrap([sealed.keyEnvelope], { ...alice, publicKey }, AAD)).rejects.toThrow(
          InvalidKeyError,
        );
      }
    });

    it('a look-alike of a remembered recipient key, one bit off, on seal, sealDataKey and unwrap', async () => {
      // alice's key was validated and remembered by the seals above; the cache is keyed by the
      // exact 65 bytes, so a neighbour is validated afresh and refused.
      await cipher.seal(PARTS, [alice.publicKey], AAD);
      const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
      for (const index of [1, 33, 64]) {
        const lookAlike = flipByte(alice.publicKey, index);
        await expect(cipher.seal(PARTS, [lookAlike], AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.sealDataKey(dataKey, [lookAlike], AAD)).rejects.toThrow(InvalidKeyError);
        await expect(cipher.unwrap(sealed.keyEnvelope, { ...alice, publicKey: lookAlike }, AAD)).rejects.toThrow(
          InvalidKeyError,
        );
      }
    });

    it('a tampered enc on every unwrap, between unwraps of the intact envelope', async () => {
      const tampered = flipByte(sealed.keyEnvelope, slotOffset(0, ENC_BYTES - 1));
      for (let round = 0; round < 3; round++) {
        const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
        expect(bytesToHex(await cipher.open(dataKey, sealed.parts[1], 1, AAD))).toBe(bytesToHex(PARTS[1]));
        await expect(cipher.unwrap(tampered, alice, AAD)).rejects.toThrow(DecryptionFailedError);
      }
    });

    it('an out-of-range recipient private key, as InvalidKeyError', async () => {
      const zero = { ...alice, privateKey: new Uint8Array(32) };
      await expect(cipher.unwrap(sealed.keyEnvelope, zero, AAD)).rejects.toThrow(InvalidKeyError);
      await expect(cipher.tryUnwrap([sealed.keyEnvelope], zero, AAD)).rejects.toThrow(InvalidKeyError);
    });

    it('a bad recipient before any randomness is drawn', async () => {
      const random = new SeededRandom('unused');
      const draw = jest.spyOn(random, 'bytes');
      const strict = new HpkeP256Cipher(primitives, random);
      await expect(strict.seal(PARTS, [alice.publicKey, flipByte(bob.publicKey, 64)], AAD)).rejects.toThrow(
        InvalidKeyError,
      );
      await expect(
        strict.sealDataKey({ bytes: new Uint8Array(32) }, [flipByte(bob.publicKey, 64)], AAD),
      ).rejects.toThrow(InvalidKeyError);
      expect(draw).not.toHaveBeenCalled();
    });

    it('sealing to nobody', async () => {
      await expect(cipher.seal(PARTS, [], AAD)).rejects.toThrow(ValidationFailedError);
      await expect(cipher.sealDataKey({ bytes: new Uint8Array(32) }, [], AAD)).rejects.toThrow(ValidationFailedError);
    });

    it('#13 re-wrapping a data key that is not 32 bytes, as InvalidKeyError', async () => {
      await expect(cipher.sealDataKey({ bytes: new Uint8Array(16) }, [bob.publicKey], AAD)).rejects.toThrow(
        InvalidKeyError,
      );
    });
  });
});
