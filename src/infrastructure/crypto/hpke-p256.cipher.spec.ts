import { createHash } from 'node:crypto';
import { bytesToHex, utf8 } from '../../domain/bytes';
import { DecryptionFailedError } from '../../domain/errors';
import { KeyPair } from '../../domain/ports/cipher.port';
import { SeededRandom } from '../../../test/fakes/seeded-random';
import { GCM_TAG_BYTES } from './crypto.constants';
import { HpkeP256Cipher } from './hpke-p256.cipher';
import { HpkePrimitives } from './hpke.primitives';
import { ENC_BYTES, KEY_ENVELOPE_HEADER_BYTES, KEY_ENVELOPE_SLOT_BYTES, KEY_ID_BYTES } from './key-envelope.codec';
import { NobleHpkePrimitives } from './noble.primitives';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';

const BACKENDS: HpkePrimitives[] = [new NodeCryptoHpkePrimitives(), new NobleHpkePrimitives()];
const AAD = utf8('record:3f2a/version:1');
const PARTS = [utf8('{"kind":"lab-result"}'), new Uint8Array(3000).map((_, i) => i % 251), new Uint8Array(0)];

/** Byte offset of field `fieldOffset` inside slot `slot` of an envelope. */
function slotOffset(slot: number, fieldOffset: number): number {
  return KEY_ENVELOPE_HEADER_BYTES + slot * KEY_ENVELOPE_SLOT_BYTES + fieldOffset;
}

async function openAll(cipher: HpkeP256Cipher, parts: Uint8Array[], envelope: Uint8Array, recipient: KeyPair) {
  const dataKey = await cipher.unwrap(envelope, recipient, AAD);
  return Promise.all(parts.map((part, index) => cipher.open(dataKey, part, index, AAD)));
}

/** What seal, unwrap, open and addRecipient produce; what they refuse is in hpke-p256.cipher.refusals.spec.ts. */
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
