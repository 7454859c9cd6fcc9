import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core';
import { bytesToHex, hexToBytes, utf8 } from '../../domain/bytes';
import { DecryptionFailedError, InvalidKeyError } from '../../domain/errors';
import { RandomSource } from '../../domain/ports/random.port';
import vectorFile from '../../../test/vectors/rfc9180-dhkem-p256-hkdf-sha256-aes256gcm.json';
import { HPKE_AEAD_ID, HPKE_KDF_ID, HPKE_KEM_ID, HPKE_MODE_BASE, HpkeP256Suite } from './hpke-p256.suite';
import { HpkePrimitives } from './hpke.primitives';
import { NobleHpkePrimitives } from './noble.primitives';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';

/**
 * Known-answer tests from the RFC 9180 test-vector set (CFRG test-vectors.json), the entry
 * with mode 0, kem 0x0010, kdf 0x0001, aead 0x0002.
 */
const vector = vectorFile[0];
const hex = hexToBytes;

/** Proves the known-answer paths draw no randomness. */
class NoRandomness extends RandomSource {
  bytes(): Uint8Array {
    throw new Error('randomness must not be drawn here');
  }
}

/** Replays fixed byte strings, one per call, so GenerateKeyPair() can be pinned to ikmE. */
class ReplayRandom extends RandomSource {
  constructor(private readonly outputs: Uint8Array[]) {
    super();
  }

  bytes(length: number): Uint8Array {
    const next = this.outputs.shift();
    if (next === undefined || next.length !== length) throw new Error('unexpected random draw');
    return next;
  }
}

const BACKENDS: HpkePrimitives[] = [new NodeCryptoHpkePrimitives(), new NobleHpkePrimitives()];

describe.each(BACKENDS)('HpkeP256Suite known answers on $name', (primitives) => {
  const suite = new HpkeP256Suite(primitives, new NoRandomness());
  const info = hex(vector.info);

  it('is the suite the vector was made for', () => {
    expect([vector.mode, vector.kem_id, vector.kdf_id, vector.aead_id]).toEqual([
      HPKE_MODE_BASE,
      HPKE_KEM_ID,
      HPKE_KDF_ID,
      HPKE_AEAD_ID,
    ]);
  });

  it('DeriveKeyPair reproduces the ephemeral and the recipient key pairs', () => {
    const ephemeral = suite.deriveKeyPair(hex(vector.ikmE));
    const recipient = suite.deriveKeyPair(hex(vector.ikmR));
    expect(bytesToHex(ephemeral.privateKey)).toBe(vector.skEm);
    expect(bytesToHex(ephemeral.publicKey)).toBe(vector.pkEm);
    expect(bytesToHex(recipient.privateKey)).toBe(vector.skRm);
    expect(bytesToHex(recipient.publicKey)).toBe(vector.pkRm);
  });

  it('Encap with skEm pinned reproduces enc and shared_secret', () => {
    const { enc, sharedSecret } = suite.encap(hex(vector.pkRm), hex(vector.skEm));
    expect(bytesToHex(enc)).toBe(vector.enc);
    expect(bytesToHex(sharedSecret)).toBe(vector.shared_secret);
  });

  it('Encap with GenerateKeyPair fed ikmE reproduces enc and shared_secret', () => {
    const pinned = new HpkeP256Suite(primitives, new ReplayRandom([hex(vector.ikmE)]));
    const { enc, sharedSecret } = pinned.encap(hex(vector.pkRm));
    expect(bytesToHex(enc)).toBe(vector.enc);
    expect(bytesToHex(sharedSecret)).toBe(vector.shared_secret);
  });

  it('Decap reproduces shared_secret', () => {
    expect(bytesToHex(suite.decap(hex(vector.enc), hex(vector.skRm)))).toBe(vector.shared_secret);
  });

  it('KeySchedule reproduces key_schedule_context, secret, key, base_nonce, exporter_secret', () => {
    const schedule = suite.keySchedule(hex(vector.shared_secret), info);
    expect(bytesToHex(schedule.keyScheduleContext)).toBe(vector.key_schedule_context);
    expect(bytesToHex(schedule.secret)).toBe(vector.secret);
    expect(bytesToHex(schedule.key)).toBe(vector.key);
    expect(bytesToHex(schedule.baseNonce)).toBe(vector.base_nonce);
    expect(bytesToHex(schedule.exporterSecret)).toBe(vector.exporter_secret);
  });

  it(`seals all ${vector.encryptions.length} plaintexts to the vector ciphertexts, sequence number i for entry i`, () => {
    const { enc, context } = suite.setupBaseS(hex(vector.pkRm), info, hex(vector.skEm));
    expect(bytesToHex(enc)).toBe(vector.enc);
    vector.encryptions.forEach((entry, seq) => {
      expect(context.sequenceNumber).toBe(seq);
      expect(bytesToHex(context.computeNonce(seq))).toBe(entry.nonce);
      expect(bytesToHex(context.seal(hex(entry.aad), hex(entry.pt)))).toBe(entry.ct);
    });
    expect(context.sequenceNumber).toBe(vector.encryptions.length);
  });

  it(`opens all ${vector.encryptions.length} vector ciphertexts back to their plaintexts`, () => {
    const context = suite.setupBaseR(hex(vector.enc), hex(vector.skRm), info);
    vector.encryptions.forEach((entry) => {
      expect(bytesToHex(context.open(hex(entry.aad), hex(entry.ct)))).toBe(entry.pt);
    });
  });

  it('a failed Open leaves the sequence number where it was (RFC 9180 §5.2)', () => {
    const context = suite.setupBaseR(hex(vector.enc), hex(vector.skRm), info);
    const [first, second] = vector.encryptions;
    expect(() => context.open(hex(second.aad), hex(second.ct))).toThrow(DecryptionFailedError);
    expect(context.sequenceNumber).toBe(0);
    expect(bytesToHex(context.open(hex(first.aad), hex(first.ct)))).toBe(first.pt);
    expect(context.sequenceNumber).toBe(1);
  });

  it('reproduces every exported value on both sides', () => {
    const sender = suite.setupBaseS(hex(vector.pkRm), info, hex(vector.skEm)).context;
    const recipient = suite.setupBaseR(hex(vector.enc), hex(vector.skRm), info);
    for (const entry of vector.exports) {
      expect(bytesToHex(sender.export(hex(entry.exporter_context), entry.L))).toBe(entry.exported_value);
      expect(bytesToHex(recipient.export(hex(entry.exporter_context), entry.L))).toBe(entry.exported_value);
    }
  });

  it('single-shot SealBase/OpenBase agree with the first vector entry', () => {
    const [first] = vector.encryptions;
    const sealed = suite.sealBase(hex(vector.pkRm), info, hex(first.aad), hex(first.pt), hex(vector.skEm));
    expect(bytesToHex(sealed.ciphertext)).toBe(first.ct);
    expect(bytesToHex(suite.openBase(sealed.enc, hex(vector.skRm), info, hex(first.aad), sealed.ciphertext))).toBe(
      first.pt,
    );
  });

  it('Decap rejects an enc that is not a P-256 point', () => {
    const offCurve = hex(vector.enc);
    offCurve[offCurve.length - 1] ^= 0x01;
    expect(() => suite.decap(offCurve, hex(vector.skRm))).toThrow(InvalidKeyError);
    expect(() => suite.decap(hex(vector.enc).subarray(1), hex(vector.skRm))).toThrow(InvalidKeyError);
  });

  it('Encap rejects a recipient key that is not a P-256 point', () => {
    const offCurve = hex(vector.pkRm);
    offCurve[offCurve.length - 1] ^= 0x01;
    expect(() => suite.encap(offCurve, hex(vector.skEm))).toThrow(InvalidKeyError);
  });
});

describe('HpkeP256Suite interoperates with @hpke/core', () => {
  const theirs = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const info = utf8('patient-centric-emr/interop');
  const aad = utf8('record-aad');
  const plaintext = utf8('a plaintext that crosses implementations');

  it.each(BACKENDS)('derives the same key pair from ikmR ($name)', async (primitives) => {
    const ours = new HpkeP256Suite(primitives, new NoRandomness()).deriveKeyPair(hex(vector.ikmR));
    const pair = await theirs.kem.deriveKeyPair(hex(vector.ikmR));
    expect(bytesToHex(new Uint8Array(await theirs.kem.serializePublicKey(pair.publicKey)))).toBe(
      bytesToHex(ours.publicKey),
    );
  });

  it.each(BACKENDS)('opens what @hpke/core sealed ($name)', async (primitives) => {
    const recipient = new HpkeP256Suite(primitives, new NoRandomness()).deriveKeyPair(hex(vector.ikmR));
    const sealed = await theirs.seal(
      { recipientPublicKey: await theirs.kem.deserializePublicKey(recipient.publicKey), info },
      plaintext,
      aad,
    );
    const suite = new HpkeP256Suite(primitives, new NoRandomness());
    const opened = suite.openBase(
      new Uint8Array(sealed.enc),
      recipient.privateKey,
      info,
      aad,
      new Uint8Array(sealed.ct),
    );
    expect(bytesToHex(opened)).toBe(bytesToHex(plaintext));
  });

  it.each(BACKENDS)(
    'seals what @hpke/core opens, with the same enc for the same ephemeral key ($name)',
    async (primitives) => {
      const suite = new HpkeP256Suite(primitives, new NoRandomness());
      const recipientPair = await theirs.kem.deriveKeyPair(hex(vector.ikmR));
      const ours = suite.sealBase(hex(vector.pkRm), info, aad, plaintext, hex(vector.skEm));
      const opened = await theirs.open({ recipientKey: recipientPair, enc: ours.enc, info }, ours.ciphertext, aad);
      expect(bytesToHex(new Uint8Array(opened))).toBe(bytesToHex(plaintext));

      const pinned = await theirs.seal(
        { recipientPublicKey: recipientPair.publicKey, info, ekm: hex(vector.ikmE) },
        plaintext,
        aad,
      );
      expect(bytesToHex(new Uint8Array(pinned.enc))).toBe(bytesToHex(ours.enc));
      expect(bytesToHex(new Uint8Array(pinned.ct))).toBe(bytesToHex(ours.ciphertext));
    },
  );
});
