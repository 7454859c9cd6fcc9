import { randomBytes } from 'node:crypto';
import { bytesToHex, hexToBytes } from '../../domain/bytes';
import { DecryptionFailedError, InvalidKeyError } from '../../domain/errors';
import { bigintToBytes } from './integer-encoding';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, P256_ORDER, P256_PRIVATE_KEY_BYTES } from './crypto.constants';
import { HpkePrimitives } from './hpke.primitives';
import { NobleHpkePrimitives } from './noble.primitives';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';

const node = new NodeCryptoHpkePrimitives();
const noble = new NobleHpkePrimitives();
const BACKENDS: HpkePrimitives[] = [node, noble];

/** A P-256 public key from the RFC 9180 vector set (pkRm). */
const VALID_PUBLIC_KEY = hexToBytes(
  '04abc7e49a4c6b3566d77d0304addc6ed0e98512ffccf505e6a8e3eb25c685136f853148544876de76c0f2ef99cdc3a05ccf5ded7860c7c021238f9e2073d2356c',
);

function flipLastByte(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

function scalar(value: bigint): Uint8Array {
  return bigintToBytes(value, P256_PRIVATE_KEY_BYTES);
}

const INVALID_PUBLIC_KEYS: Array<[string, Uint8Array]> = [
  ['off the curve', flipLastByte(VALID_PUBLIC_KEY)],
  ['the SEC 1 identity encoding', new Uint8Array([0x00])],
  ['compressed', VALID_PUBLIC_KEY.slice(0, 33).fill(0x02, 0, 1)],
  ['one byte short', VALID_PUBLIC_KEY.subarray(0, 64)],
  ['one byte long', new Uint8Array([...VALID_PUBLIC_KEY, 0x00])],
  ['the wrong prefix', VALID_PUBLIC_KEY.slice().fill(0x05, 0, 1)],
  ['(0, 0)', new Uint8Array(65).fill(0x04, 0, 1)],
  ['empty', new Uint8Array(0)],
];

const INVALID_PRIVATE_KEYS: Array<[string, Uint8Array]> = [
  ['zero', scalar(0n)],
  ['n', scalar(P256_ORDER)],
  ['n + 1', scalar(P256_ORDER + 1n)],
  ['2^256 - 1', new Uint8Array(32).fill(0xff)],
  ['31 bytes', new Uint8Array(31).fill(0x01)],
];

describe.each(BACKENDS)('HpkePrimitives validation on $name', (primitives) => {
  it.each(INVALID_PUBLIC_KEYS)('rejects a public key that is %s', (_, publicKey) => {
    expect(() => primitives.p256ValidatePublicKey(publicKey)).toThrow(InvalidKeyError);
    expect(() => primitives.p256Ecdh(scalar(1n), publicKey)).toThrow(InvalidKeyError);
  });

  it.each(INVALID_PRIVATE_KEYS)('rejects a private key that is %s', (_, privateKey) => {
    expect(primitives.p256IsValidPrivateKey(privateKey)).toBe(false);
    expect(() => primitives.p256PublicKey(privateKey)).toThrow(InvalidKeyError);
    expect(() => primitives.p256Ecdh(privateKey, VALID_PUBLIC_KEY)).toThrow(InvalidKeyError);
  });

  it('accepts the scalars 1 and n - 1, whose public keys are G and -G', () => {
    const g = primitives.p256PublicKey(scalar(1n));
    const minusG = primitives.p256PublicKey(scalar(P256_ORDER - 1n));
    expect(bytesToHex(g.subarray(0, 33))).toBe(bytesToHex(minusG.subarray(0, 33)));
    expect(bytesToHex(g)).not.toBe(bytesToHex(minusG));
    expect(() => primitives.p256ValidatePublicKey(g)).not.toThrow();
  });

  it('rejects a short AES-GCM input and a bad tag as DecryptionFailedError', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(GCM_NONCE_BYTES);
    expect(() => primitives.aes256GcmOpen(key, nonce, new Uint8Array(0), new Uint8Array(GCM_TAG_BYTES - 1))).toThrow(
      DecryptionFailedError,
    );
    const sealed = primitives.aes256GcmSeal(key, nonce, new Uint8Array(0), new Uint8Array([1, 2, 3]));
    expect(() => primitives.aes256GcmOpen(key, nonce, new Uint8Array(0), flipLastByte(sealed))).toThrow(
      DecryptionFailedError,
    );
  });

  it('refuses an AES-128-sized key instead of silently switching to AES-128', () => {
    expect(() =>
      primitives.aes256GcmSeal(
        new Uint8Array(16),
        new Uint8Array(GCM_NONCE_BYTES),
        new Uint8Array(0),
        new Uint8Array(0),
      ),
    ).toThrow(InvalidKeyError);
  });
});

describe('HpkePrimitives backends agree byte for byte', () => {
  it('on public keys and ECDH for random scalars, in both directions', () => {
    for (let i = 0; i < 8; i++) {
      const a = new Uint8Array(randomBytes(32));
      const b = new Uint8Array(randomBytes(32));
      const pkA = node.p256PublicKey(a);
      const pkB = noble.p256PublicKey(b);
      expect(bytesToHex(noble.p256PublicKey(a))).toBe(bytesToHex(pkA));
      expect(bytesToHex(node.p256PublicKey(b))).toBe(bytesToHex(pkB));
      const shared = node.p256Ecdh(a, pkB);
      expect(shared).toHaveLength(32);
      expect(bytesToHex(noble.p256Ecdh(b, pkA))).toBe(bytesToHex(shared));
      expect(bytesToHex(noble.p256Ecdh(a, pkB))).toBe(bytesToHex(shared));
    }
  });

  it('on AES-256-GCM, and each opens the other', () => {
    const key = new Uint8Array(randomBytes(32));
    const nonce = new Uint8Array(randomBytes(GCM_NONCE_BYTES));
    const aad = new Uint8Array(randomBytes(13));
    for (const length of [0, 1, 15, 16, 17, 4096 + 3]) {
      const plaintext = new Uint8Array(randomBytes(length));
      const sealed = node.aes256GcmSeal(key, nonce, aad, plaintext);
      expect(sealed).toHaveLength(length + GCM_TAG_BYTES);
      expect(bytesToHex(noble.aes256GcmSeal(key, nonce, aad, plaintext))).toBe(bytesToHex(sealed));
      expect(bytesToHex(noble.aes256GcmOpen(key, nonce, aad, sealed))).toBe(bytesToHex(plaintext));
      expect(bytesToHex(node.aes256GcmOpen(key, nonce, aad, sealed))).toBe(bytesToHex(plaintext));
    }
  });

  it('on HMAC-SHA256 (RFC 4231 test case 2) and SHA-256 ("abc", FIPS 180-2)', () => {
    const key = new TextEncoder().encode('Jefe');
    const data = new TextEncoder().encode('what do ya want for nothing?');
    const abc = new TextEncoder().encode('abc');
    for (const primitives of BACKENDS) {
      expect(bytesToHex(primitives.hmacSha256(key, data))).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      );
      expect(bytesToHex(primitives.sha256(abc))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    }
  });

  it('return plain Uint8Arrays, never Node Buffers', () => {
    const outputs = [
      node.p256PublicKey(scalar(1n)),
      node.p256Ecdh(scalar(2n), node.p256PublicKey(scalar(3n))),
      node.p256EcdhWithPublicKey(scalar(2n), node.p256PublicKey(scalar(3n))).publicKey,
      node.sha256(new Uint8Array(0)),
      node.hmacSha256(new Uint8Array(0), new Uint8Array(0)),
    ];
    for (const output of outputs) expect(Buffer.isBuffer(output)).toBe(false);
  });

  it('on AES-256-GCM above the zero-fill threshold, with outputs that own their whole ArrayBuffer', () => {
    const key = new Uint8Array(randomBytes(32));
    const nonce = new Uint8Array(randomBytes(GCM_NONCE_BYTES));
    const aad = new Uint8Array(randomBytes(64));
    for (const length of [4096, 4097, 100_000]) {
      const plaintext = new Uint8Array(randomBytes(length));
      const sealed = node.aes256GcmSeal(key, nonce, aad, plaintext);
      expect(bytesToHex(sealed)).toBe(bytesToHex(noble.aes256GcmSeal(key, nonce, aad, plaintext)));
      const opened = node.aes256GcmOpen(key, nonce, aad, sealed);
      expect(bytesToHex(opened)).toBe(bytesToHex(plaintext));
      for (const output of [sealed, opened]) {
        expect(Buffer.isBuffer(output)).toBe(false);
        // A view that exposed a larger buffer could leak other data; each output is its own.
        expect(output.byteOffset).toBe(0);
        expect(output.buffer.byteLength).toBe(output.length);
      }
    }
  });
});

describe('NodeCryptoHpkePrimitives remembers only what is safe to remember', () => {
  const OTHER_VALID_PUBLIC_KEY = noble.p256PublicKey(scalar(7n));

  it('a validated public key, by its exact bytes: a key one bit apart is checked, and refused', () => {
    const primitives = new NodeCryptoHpkePrimitives();
    primitives.p256ValidatePublicKey(VALID_PUBLIC_KEY);
    primitives.p256ValidatePublicKey(VALID_PUBLIC_KEY);
    expect(() => primitives.p256ValidatePublicKey(flipLastByte(VALID_PUBLIC_KEY))).toThrow(InvalidKeyError);
    expect(() => primitives.p256ValidatePublicKey(VALID_PUBLIC_KEY.subarray(0, 64))).toThrow(InvalidKeyError);
    expect(() => primitives.p256ValidatePublicKey(OTHER_VALID_PUBLIC_KEY)).not.toThrow();
  });

  it('never a peer key in ECDH: an off-curve point is refused on every call, after and between valid ones', () => {
    const primitives = new NodeCryptoHpkePrimitives();
    const reader = scalar(5n);
    const expected = noble.p256Ecdh(reader, VALID_PUBLIC_KEY);
    const offCurve = flipLastByte(VALID_PUBLIC_KEY);
    for (let round = 0; round < 3; round++) {
      expect(bytesToHex(primitives.p256Ecdh(reader, VALID_PUBLIC_KEY))).toBe(bytesToHex(expected));
      expect(() => primitives.p256Ecdh(reader, offCurve)).toThrow(InvalidKeyError);
      expect(() => primitives.p256EcdhWithPublicKey(reader, offCurve)).toThrow(InvalidKeyError);
    }
  });

  it('the loaded reader key only for that exact key: another private key gets its own result', () => {
    const primitives = new NodeCryptoHpkePrimitives();
    const first = scalar(5n);
    const second = first.slice();
    second[31] ^= 0x02;
    expect(bytesToHex(primitives.p256Ecdh(first, VALID_PUBLIC_KEY))).toBe(
      bytesToHex(noble.p256Ecdh(first, VALID_PUBLIC_KEY)),
    );
    expect(bytesToHex(primitives.p256Ecdh(second, VALID_PUBLIC_KEY))).toBe(
      bytesToHex(noble.p256Ecdh(second, VALID_PUBLIC_KEY)),
    );
    expect(bytesToHex(primitives.p256Ecdh(first, VALID_PUBLIC_KEY))).toBe(
      bytesToHex(noble.p256Ecdh(first, VALID_PUBLIC_KEY)),
    );
  });
});
