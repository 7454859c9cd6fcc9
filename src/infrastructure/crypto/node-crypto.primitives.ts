import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, ECDH } from 'node:crypto';
import { bytesEqual } from '../../domain/bytes';
import { DecryptionFailedError, InvalidKeyError } from '../../domain/errors';
import { GCM_TAG_BYTES, P256_ORDER, P256_PRIVATE_KEY_BYTES } from './crypto.constants';
import { assertAes256GcmInputs, hasUncompressedP256Format, HpkePrimitives, P256EcdhResult } from './hpke.primitives';
import { bigintToBytes } from './integer-encoding';

/** OpenSSL's name for P-256 (secp256r1). */
const OPENSSL_P256 = 'prime256v1';
const AES_256_GCM = 'aes-256-gcm';
/** What node:crypto throws when EC_POINT_oct2point refuses a peer key (off the curve, coordinate >= p). */
const INVALID_PEER_KEY_CODE = 'ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY';
/** Order n as 32 big-endian octets, for the private key range check. */
const P256_ORDER_BYTES = bigintToBytes(P256_ORDER, P256_PRIVATE_KEY_BYTES);
/**
 * How many validated public keys to remember. The same patients' and providers' keys come
 * back on every upload and read, and OpenSSL's check costs ~15 µs, most of it building the
 * curve group; validity is a pure function of the 65 bytes, so remembering it weakens nothing.
 */
const VALIDATED_PUBLIC_KEYS_MAX = 1_024;

/**
 * OpenSSL backend via node:crypto: the production default, an order of magnitude faster
 * than the noble backend for both P-256 and AES-GCM (assembly field arithmetic, AES-NI).
 * Outputs are plain Uint8Array views of the ArrayBuffer node:crypto wrote them into, which
 * nothing else references (checked, else copied): never a Node Buffer, never a pool slab, and
 * a decrypted file is not copied again.
 */
export class NodeCryptoHpkePrimitives implements HpkePrimitives {
  readonly name = 'node:crypto';
  /** Public keys (as latin1 strings) that passed p256ValidatePublicKey, oldest first. */
  private readonly validatedPublicKeys = new Set<string>();
  /**
   * ECDH objects are reused: a fresh one builds the curve group each time (~10 µs of a ~110 µs
   * agreement). Each holds the last key loaded until a call replaces it (OpenSSL clears the old
   * one). That exposes nothing new: every caller keeps the same key in memory anyway (the key
   * vault caches key pairs; an ephemeral key protects a data key the cipher holds). The methods
   * are synchronous, so no two calls share an object at once.
   *
   * `ecdh` takes a new key on every call (ephemeral keys never repeat). `readerEcdh` serves
   * p256Ecdh, which Decap uses with the reader's long-term key, and keeps it loaded: a reader
   * opens a whole page of records with one key, and loading it costs a scalar multiplication.
   */
  private readonly ecdh = createECDH(OPENSSL_P256);
  private readonly readerEcdh = createECDH(OPENSSL_P256);
  /** The private key readerEcdh holds, to compare with the next one. */
  private readerKey: Uint8Array | null = null;

  /** 1 <= sk < n, computed as n - sk over all 32 octets: no early exit, no BigInt. */
  p256IsValidPrivateKey(privateKey: Uint8Array): boolean {
    if (privateKey.length !== P256_PRIVATE_KEY_BYTES) return false;
    let borrow = 0;
    let difference = 0;
    let nonZero = 0;
    for (let i = P256_PRIVATE_KEY_BYTES - 1; i >= 0; i--) {
      const digit = P256_ORDER_BYTES[i] - privateKey[i] - borrow;
      borrow = (digit >> 8) & 1;
      difference |= digit & 0xff;
      nonZero |= privateKey[i];
    }
    // A final borrow means sk > n; a zero difference means sk = n.
    return borrow === 0 && difference !== 0 && nonZero !== 0;
  }

  p256PublicKey(privateKey: Uint8Array): Uint8Array {
    return ownedBytes(this.ecdhWith(privateKey).getPublicKey(null, 'uncompressed'));
  }

  p256ValidatePublicKey(publicKey: Uint8Array): void {
    if (!hasUncompressedP256Format(publicKey)) {
      throw new InvalidKeyError('A P-256 public key must be a 65-byte SEC 1 uncompressed point.');
    }
    // latin1 maps each byte to one character, so equal strings mean equal bytes.
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
    if (this.validatedPublicKeys.has(id)) return;
    try {
      // OpenSSL's EC_POINT_oct2point rejects coordinates >= p and points off the curve.
      ECDH.convertKey(publicKey, OPENSSL_P256);
    } catch {
      throw new InvalidKeyError('The public key is not a point on P-256.');
    }
    if (this.validatedPublicKeys.size >= VALIDATED_PUBLIC_KEYS_MAX) {
      this.validatedPublicKeys.delete(this.validatedPublicKeys.values().next().value as string);
    }
    this.validatedPublicKeys.add(id);
  }

  p256Ecdh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    if (this.readerKey === null || !bytesEqual(this.readerKey, privateKey)) {
      this.readerKey = null;
      this.load(this.readerEcdh, privateKey);
      this.readerKey = privateKey.slice();
    }
    return this.computeSecret(this.readerEcdh, publicKey);
  }

  p256EcdhWithPublicKey(privateKey: Uint8Array, peerPublicKey: Uint8Array): P256EcdhResult {
    // setPrivateKey computes pk(sk) as it loads the key, so the public key costs no second
    // scalar multiplication.
    const ecdh = this.ecdhWith(privateKey);
    const dh = this.computeSecret(ecdh, peerPublicKey);
    return { dh, publicKey: ownedBytes(ecdh.getPublicKey(null, 'uncompressed')) };
  }

  aes256GcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    assertAes256GcmInputs(key, nonce);
    const cipher = createCipheriv(AES_256_GCM, key, nonce, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    // GCM is a stream mode: final() adds no bytes, it only computes the tag.
    if (cipher.final().length !== 0) throw new Error('AES-GCM final() returned data');
    // ciphertext || tag must be one array, and update() returns the ciphertext in a buffer of
    // its own: this is the one copy of the content that sealing makes. The array is left
    // uninitialised because both writes below cover it exactly: zero-filling a large part
    // costs about as much as the copy itself (perf, 1 MiB: each ~12 % of the seal).
    const out = unfilledBytes(plaintext.length + GCM_TAG_BYTES);
    out.set(body, 0);
    out.set(cipher.getAuthTag(), plaintext.length);
    return out;
  }

  aes256GcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    assertAes256GcmInputs(key, nonce);
    if (ciphertext.length < GCM_TAG_BYTES) throw new DecryptionFailedError('The ciphertext is too short.');
    const bodyLength = ciphertext.length - GCM_TAG_BYTES;
    const decipher = createDecipheriv(AES_256_GCM, key, nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(ciphertext.subarray(bodyLength));
    const body = decipher.update(ciphertext.subarray(0, bodyLength));
    let tail: Buffer;
    try {
      // final() checks the tag; nothing decrypted is released before it passes.
      tail = decipher.final();
    } catch {
      throw new DecryptionFailedError('Decryption failed.');
    }
    // GCM is a stream mode: final() adds no bytes, and update() wrote the plaintext into a
    // buffer of its own, which becomes the result without a copy.
    if (tail.length !== 0) throw new Error('AES-GCM final() returned data');
    return ownedBytes(body);
  }

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return ownedBytes(createHmac('sha256', key).update(data).digest());
  }

  sha256(data: Uint8Array): Uint8Array {
    return ownedBytes(createHash('sha256').update(data).digest());
  }

  /**
   * x-coordinate of sk·PK, left-padded to the field size; InvalidKeyError for a bad PK.
   *
   * Why ECDH objects and not KeyObjects: on Node 20 (OpenSSL 3.0) every ECDH entry point pays a
   * second variable-base scalar multiplication besides sk·PK. computeSecret checks its own key
   * pair (n·pk(sk), and sk·G = pk(sk)); crypto.diffieHellman checks the peer key in full (n·PK,
   * in EVP_PKEY_derive_set_peer), about the same cost; WebCrypto deriveBits checks both keys,
   * off-thread. None offers only the on-curve check RFC 9180 §7.1.4 needs for P-256 (cofactor
   * 1), and KeyObjects would add an import of every enc (~90 µs via JWK, more via SPKI).
   */
  private computeSecret(ecdh: ECDH, peerPublicKey: Uint8Array): Uint8Array {
    if (!hasUncompressedP256Format(peerPublicKey)) {
      throw new InvalidKeyError('A P-256 public key must be a 65-byte SEC 1 uncompressed point.');
    }
    try {
      // computeSecret decodes the peer key with EC_POINT_oct2point, the same check
      // p256ValidatePublicKey makes (coordinates < p, on the curve), so the peer key is
      // validated here without building a second curve group.
      return ownedBytes(ecdh.computeSecret(peerPublicKey));
    } catch (error) {
      if ((error as { code?: unknown }).code === INVALID_PEER_KEY_CODE) {
        throw new InvalidKeyError('The public key is not a point on P-256.');
      }
      throw error;
    }
  }

  private ecdhWith(privateKey: Uint8Array): ECDH {
    return this.load(this.ecdh, privateKey);
  }

  private load(ecdh: ECDH, privateKey: Uint8Array): ECDH {
    if (!this.p256IsValidPrivateKey(privateKey)) {
      throw new InvalidKeyError('A P-256 private key must be a 32-byte scalar in [1, n-1].');
    }
    ecdh.setPrivateKey(privateKey);
    return ecdh;
  }
}

/**
 * Below this, zeroing costs less than the extra Buffer object of the unfilled path (a 4 KiB
 * memset is tens of nanoseconds; small typed arrays even live on V8's heap).
 */
const ZERO_FILL_MAX_BYTES = 4_096;

/**
 * A fresh, unshared array of `length` bytes that must be written in full before it is handed
 * out: above ZERO_FILL_MAX_BYTES its contents are whatever the allocator returns. allocUnsafeSlow
 * never takes from Node's shared pool, so the plain Uint8Array view over its ArrayBuffer
 * exposes nothing else.
 */
function unfilledBytes(length: number): Uint8Array {
  if (length <= ZERO_FILL_MAX_BYTES) return new Uint8Array(length);
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/**
 * `buffer` as a plain Uint8Array. node:crypto returns each output in an ArrayBuffer of its own,
 * which a view can take over without a copy; anything that shares its ArrayBuffer (a pool
 * slab) is copied, so a result never exposes other bytes.
 */
function ownedBytes(buffer: Buffer): Uint8Array {
  if (buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length) {
    return new Uint8Array(buffer.buffer, 0, buffer.length);
  }
  return new Uint8Array(buffer);
}
