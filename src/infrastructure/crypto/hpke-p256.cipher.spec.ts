import { bytesToHex, hexToBytes, utf8 } from '../../domain/bytes';
import { DecryptionFailedError } from '../../domain/errors';
import { KeyPair } from '../../domain/ports/cipher.port';
import { SeededRandom } from '../../../test/fakes/seeded-random';
import { GCM_TAG_BYTES } from './crypto.constants';
import { DATA_KEY_HPKE_INFO, DATA_KEY_HPKE_INFO_V1, HpkeP256Cipher } from './hpke-p256.cipher';
import { HpkeP256Suite } from './hpke-p256.suite';
import { HpkePrimitives } from './hpke.primitives';
import { decodeKeyEnvelope, encodeKeyEnvelopeV1, encodeKeyEnvelopeV2, SealedDataKeySlot } from './key-envelope.codec';
import { NobleHpkePrimitives } from './noble.primitives';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';

const BACKENDS: HpkePrimitives[] = [new NodeCryptoHpkePrimitives(), new NobleHpkePrimitives()];
const AAD = utf8('record:3f2a/version:1');
const PARTS = [utf8('{"kind":"lab-result"}'), new Uint8Array(3000).map((_, i) => i % 251), new Uint8Array(0)];
/** v2 slot: enc (65) | sealed data key (48). */
const V2_SLOT_BYTES = 65 + 48;

/**
 * A v1 envelope as the release before v2 wrote it (HpkeP256Cipher.seal at commit f5750c8, seeded
 * randomness): sealed to alice then bob under aad "v1-vector/aad", with part 0 "sealed before v2".
 * Frozen bytes, so a change to how v1 is read cannot hide behind a matching change to how it is built.
 */
const V1_VECTOR = {
  alice: {
    privateKey: hexToBytes('f239160bd7f4d6933d18f5b8618b0f9f98261f632f138807954723079cddc493'),
    publicKey: hexToBytes(
      '047fb0787291b7723775b13f66815dfea1e63915cbf801d68864f658f72a0d7ce826e52ffbaa0d249d0fa31dc4ac10babe79c68794f02946a3adc348f746a9ba38',
    ),
  },
  bob: {
    privateKey: hexToBytes('be18ae189e7c1c51f9ed044db3498e93a4a7cf63a24044b170a5e9bb3abbfc9d'),
    publicKey: hexToBytes(
      '041ac806e1b786b82710d5bd65d1fa4ddba8588e0ba1dca647dde94c52352cbd69e9715098e017e6757886038f74d8efb24dc5a4d474dce473ed3b33fb597c2286',
    ),
  },
  aad: utf8('v1-vector/aad'),
  envelope: hexToBytes(
    '010216f75c53354dec97af48be1bfb120ebf3fc393c2f194efdda9caed588325736b0462f211dbf70ee3f9b829cd6b0bd11413a60d0db2' +
      '897a774b9d68536fa30d4f11b8607ff1ff0e7145a738c92253b42e483c39f9411776c3c05f211f02390cf163d772e9cccfcc278885acdee9' +
      'e8b9545c498be1049d25c43f7af35368b63e323a62e41045a25c2a999338def9bda2e46d8bf6de02549f95d8045e9ccef5e7dd0849c8f1a9' +
      '6e8518b490ca9990525f4c2204850b6da3e1ec9841fa00f7b41fb14074d7f665a3342f3b7f0a93464fb275ec898c9ab2d69eef9cecf663b0' +
      '9ff8996860ce1ec0d8716d20a940bec752e9d6036c8168a2f84a6a0e33ba2ec10982168280a684615516f087c133594ed470ff62ae790a23' +
      'a649035203c01b3509452e9f9b',
  ),
  part0: hexToBytes('d4ab1b96062ac972c438cf781b4fcc69cb0dd6a00c299b54b502c20d0dc68f92'),
  plaintext0: 'sealed before v2',
};

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] ^= 0x01;
  return copy;
}

async function openAll(cipher: HpkeP256Cipher, parts: Uint8Array[], envelope: Uint8Array, recipient: KeyPair) {
  const dataKey = await cipher.unwrap(envelope, recipient, AAD);
  return Promise.all(parts.map((part, index) => cipher.open(dataKey, part, index, AAD)));
}

/** What seal, unwrap, tryUnwrap, sealDataKey and open produce; what they refuse is in hpke-p256.cipher.refusals.spec.ts. */
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

  it('#13 round-trips every part for a single recipient through a v2 envelope', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    expect(sealed.parts.map((part) => part.length)).toEqual(PARTS.map((part) => part.length + GCM_TAG_BYTES));
    expect(sealed.keyEnvelope[0]).toBe(0x02);
    expect(sealed.keyEnvelope).toHaveLength(2 + V2_SLOT_BYTES);
    const opened = await openAll(cipher, sealed.parts, sealed.keyEnvelope, alice);
    expect(opened.map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
  });

  it('#13 round-trips for two recipients, each finding its own slot by trial decryption', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    expect(sealed.keyEnvelope).toHaveLength(2 + 2 * V2_SLOT_BYTES);
    for (const recipient of [alice, bob]) {
      const opened = await openAll(cipher, sealed.parts, sealed.keyEnvelope, recipient);
      expect(opened.map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
    }
  });

  it('#13 writes the documented v2 layout: version, count, then enc and sealed key per slot, no key id', async () => {
    const { keyEnvelope } = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    expect([keyEnvelope[0], keyEnvelope[1]]).toEqual([0x02, 2]);
    // Spelled out from the wire format comment: header 2, slot = enc 65 + sealed key 48.
    expect(keyEnvelope).toHaveLength(2 + 2 * (65 + 48));
    const secondEnc = keyEnvelope.subarray(2 + V2_SLOT_BYTES, 2 + V2_SLOT_BYTES + 65);
    expect(() => primitives.p256ValidatePublicKey(secondEnc)).not.toThrow();
    // No recipient identifier anywhere: neither public key nor its SHA-256 appears in the bytes.
    const hex = bytesToHex(keyEnvelope);
    for (const publicKey of [alice.publicKey, bob.publicKey]) {
      expect(hex).not.toContain(bytesToHex(publicKey).slice(2, 40));
      expect(hex).not.toContain(bytesToHex(primitives.sha256(publicKey)).slice(0, 40));
    }
  });

  it('#13 each v2 slot is HPKE SealBase with info "patient-centric-emr/v2/data-key", in recipient order', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
    const suite = new HpkeP256Suite(primitives, new SeededRandom('open-only'));
    const { slots } = decodeKeyEnvelope(sealed.keyEnvelope);
    const open = (slot: SealedDataKeySlot, who: KeyPair, info: Uint8Array) =>
      suite.openBase(slot.enc, who.privateKey, info, AAD, slot.sealedDataKey, who.publicKey);
    expect(bytesToHex(DATA_KEY_HPKE_INFO)).toBe(bytesToHex(utf8('patient-centric-emr/v2/data-key')));
    expect(bytesToHex(open(slots[0], alice, DATA_KEY_HPKE_INFO))).toBe(bytesToHex(dataKey.bytes));
    expect(bytesToHex(open(slots[1], bob, DATA_KEY_HPKE_INFO))).toBe(bytesToHex(dataKey.bytes));
    expect(() => open(slots[0], alice, DATA_KEY_HPKE_INFO_V1)).toThrow(DecryptionFailedError);
  });

  it('leaves the envelope it unwraps untouched', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    const before = bytesToHex(sealed.keyEnvelope);
    await cipher.unwrap(sealed.keyEnvelope, bob, AAD);
    expect(bytesToHex(sealed.keyEnvelope)).toBe(before);
  });

  it('seals a repeated recipient once, keeping the first place', async () => {
    const { keyEnvelope } = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey, alice.publicKey], AAD);
    expect(keyEnvelope[1]).toBe(2);
    const dataKey = await cipher.unwrap(keyEnvelope, alice, AAD);
    const suite = new HpkeP256Suite(primitives, new SeededRandom('open-only'));
    const first = decodeKeyEnvelope(keyEnvelope).slots[0];
    expect(bytesToHex(suite.openBase(first.enc, alice.privateKey, DATA_KEY_HPKE_INFO, AAD, first.sealedDataKey))).toBe(
      bytesToHex(dataKey.bytes),
    );
  });

  it('#13 opens a v1 envelope written before v2, for each of its recipients', async () => {
    for (const recipient of [V1_VECTOR.alice, V1_VECTOR.bob]) {
      const dataKey = await cipher.unwrap(V1_VECTOR.envelope, recipient, V1_VECTOR.aad);
      const part = await cipher.open(dataKey, V1_VECTOR.part0, 0, V1_VECTOR.aad);
      expect(new TextDecoder().decode(part)).toBe(V1_VECTOR.plaintext0);
    }
    await expect(cipher.unwrap(V1_VECTOR.envelope, carol, V1_VECTOR.aad)).rejects.toThrow(DecryptionFailedError);
    expect(cipher.describeEnvelope(V1_VECTOR.envelope)).toEqual({ version: 1, slots: 2 });
  });

  it('#13 a tampered v1 slot (key id, enc or sealed key) does not open', async () => {
    // bob's slot starts at 2 + 145: key id 32 | enc 65 | sealed key 48.
    for (const offset of [2 + 145, 2 + 145 + 32 + 1, 2 + 145 + 32 + 65]) {
      const tampered = flipByte(V1_VECTOR.envelope, offset);
      await expect(cipher.unwrap(tampered, V1_VECTOR.bob, V1_VECTOR.aad)).rejects.toThrow(DecryptionFailedError);
      await expect(cipher.tryUnwrap([tampered], V1_VECTOR.bob, V1_VECTOR.aad)).resolves.toBeNull();
    }
  });

  it('#13 v1 slots are found by key id and opened with the v1 info; v2 info in a v1 envelope does not open', async () => {
    const suite = new HpkeP256Suite(primitives, new SeededRandom('v1-slots'));
    const dataKey = new Uint8Array(32).fill(7);
    const slotWith = (info: Uint8Array) => {
      const { enc, ciphertext } = suite.sealBase(bob.publicKey, info, AAD, dataKey);
      return { keyId: primitives.sha256(bob.publicKey), enc, sealedDataKey: ciphertext };
    };
    const v1 = encodeKeyEnvelopeV1([slotWith(DATA_KEY_HPKE_INFO_V1)]);
    expect(bytesToHex((await cipher.unwrap(v1, bob, AAD)).bytes)).toBe(bytesToHex(dataKey));
    const crossed = encodeKeyEnvelopeV1([slotWith(DATA_KEY_HPKE_INFO)]);
    await expect(cipher.unwrap(crossed, bob, AAD)).rejects.toThrow(DecryptionFailedError);
    const { enc, sealedDataKey } = slotWith(DATA_KEY_HPKE_INFO_V1);
    await expect(cipher.unwrap(encodeKeyEnvelopeV2([{ enc, sealedDataKey }]), bob, AAD)).rejects.toThrow(
      DecryptionFailedError,
    );
  });

  it('#13 an envelope sealed for someone else has no slot for carol: unwrap refuses, tryUnwrap answers null', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey], AAD);
    await expect(cipher.unwrap(sealed.keyEnvelope, carol, AAD)).rejects.toThrow(DecryptionFailedError);
    await expect(cipher.tryUnwrap([sealed.keyEnvelope], carol, AAD)).resolves.toBeNull();
    await expect(cipher.tryUnwrap([], carol, AAD)).resolves.toBeNull();
  });

  it('#13 sealDataKey re-wraps the data key: the new recipient opens the unchanged content', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    const contentBefore = sealed.parts.map(bytesToHex);
    const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
    const added = await cipher.sealDataKey(dataKey, [carol.publicKey], AAD);

    expect([added[0], added[1]]).toEqual([0x02, 1]);
    expect(added).toHaveLength(2 + V2_SLOT_BYTES);
    expect(cipher.describeEnvelope(added)).toEqual({ version: 2, slots: 1 });
    expect(sealed.parts.map(bytesToHex)).toEqual(contentBefore);
    const opened = await openAll(cipher, sealed.parts, added, carol);
    expect(opened.map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
    await expect(cipher.unwrap(sealed.keyEnvelope, carol, AAD)).rejects.toThrow(DecryptionFailedError);
    await expect(cipher.unwrap(added, alice, AAD)).rejects.toThrow(DecryptionFailedError);
  });

  it('#13 tryUnwrap goes through several envelopes in order, skipping malformed ones and ones without a slot', async () => {
    const sealed = await cipher.seal(PARTS, [alice.publicKey], AAD);
    const dataKey = await cipher.unwrap(sealed.keyEnvelope, alice, AAD);
    const forCarol = await cipher.sealDataKey(dataKey, [carol.publicKey], AAD);
    const otherKeyForCarol = (await cipher.seal(PARTS, [bob.publicKey, carol.publicKey], AAD)).keyEnvelope;
    const junk = [new Uint8Array(0), new Uint8Array([0x02, 0x01]), 'x' as unknown as Uint8Array];

    const found = await cipher.tryUnwrap([...junk, sealed.keyEnvelope, forCarol, otherKeyForCarol], carol, AAD);
    expect(bytesToHex(found!.bytes)).toBe(bytesToHex(dataKey.bytes));
    // The first envelope that yields a key wins, even when a later one would yield another.
    const first = await cipher.tryUnwrap([otherKeyForCarol, forCarol], carol, AAD);
    expect(bytesToHex(first!.bytes)).toBe(bytesToHex((await cipher.unwrap(otherKeyForCarol, carol, AAD)).bytes));
    expect(bytesToHex(first!.bytes)).not.toBe(bytesToHex(dataKey.bytes));
    await expect(cipher.tryUnwrap([...junk, sealed.keyEnvelope, forCarol], bob, AAD)).resolves.toBeNull();
    // v1 envelopes take part too.
    const v1Key = await cipher.tryUnwrap([forCarol, V1_VECTOR.envelope], V1_VECTOR.bob, V1_VECTOR.aad);
    expect(v1Key).not.toBeNull();
  });

  it('#13 describeEnvelope tells version and slot count', async () => {
    const { keyEnvelope } = await cipher.seal(PARTS, [alice.publicKey, bob.publicKey, carol.publicKey], AAD);
    expect(cipher.describeEnvelope(keyEnvelope)).toEqual({ version: 2, slots: 3 });
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

  it('#13 pinned randomness: seal draws the data key first, then one ephemeral per slot; sealDataKey only the ephemerals', async () => {
    const recipients = [
      (await new HpkeP256Cipher(node, new SeededRandom('pin-a')).generateKeyPair()).publicKey,
      (await new HpkeP256Cipher(node, new SeededRandom('pin-b')).generateKeyPair()).publicKey,
    ];
    const sealed = await new HpkeP256Cipher(node, new SeededRandom('pin')).seal(PARTS, recipients, AAD);
    const replay = new SeededRandom('pin');
    const dataKey = replay.bytes(32);
    const suite = new HpkeP256Suite(node, new SeededRandom('derive-only'));
    const slots = decodeKeyEnvelope(sealed.keyEnvelope).slots;
    for (const slot of slots) {
      expect(bytesToHex(slot.enc)).toBe(bytesToHex(suite.deriveKeyPair(replay.bytes(32)).publicKey));
    }
    const cipher = new HpkeP256Cipher(node);
    expect(bytesToHex(await cipher.open({ bytes: dataKey }, sealed.parts[0], 0, AAD))).toBe(bytesToHex(PARTS[0]));

    const rewrap = await new HpkeP256Cipher(noble, new SeededRandom('pin-rewrap')).sealDataKey(
      { bytes: dataKey },
      recipients,
      AAD,
    );
    const rewrapReplay = new SeededRandom('pin-rewrap');
    for (const slot of decodeKeyEnvelope(rewrap).slots) {
      expect(bytesToHex(slot.enc)).toBe(bytesToHex(suite.deriveKeyPair(rewrapReplay.bytes(32)).publicKey));
    }
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
    const added = await opener.sealDataKey(dataKey, [other.publicKey], AAD);
    expect((await openAll(maker, sealed.parts, added, other)).map(bytesToHex)).toEqual(PARTS.map(bytesToHex));
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
