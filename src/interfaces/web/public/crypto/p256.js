// @ts-check
/**
 * P-256 keys as WebCrypto sees them. Public keys travel as 65-byte SEC 1 uncompressed points
 * (0x04 || x || y), as the service publishes them; private keys stay CryptoKeys, non-extractable
 * unless the caller asks otherwise, and are imported from a raw scalar only through a JWK.
 */
import { base64url, buf, fromBase64url, subtle, WebCryptoError } from './bytes.js';

/** Npk: SEC 1 §2.3.3 uncompressed point. */
export const P256_PUBLIC_KEY_BYTES = 65;
/** Nsk: a big-endian scalar in [1, n-1]. */
export const P256_PRIVATE_KEY_BYTES = 32;
/** Width of x, of y, of r and of s. */
export const P256_SCALAR_BYTES = 32;
/** Ndh: the x-coordinate of the shared point, in bits for deriveBits. */
const P256_ECDH_BITS = 256;
const SEC1_UNCOMPRESSED_PREFIX = 0x04;
const X_START = 1;
const Y_START = X_START + P256_SCALAR_BYTES;

/** @typedef {'ECDH' | 'ECDSA'} P256Use */

/** @param {P256Use} use */
function algorithm(use) {
  return { name: use, namedCurve: 'P-256' };
}

/**
 * The public key as a CryptoKey; INVALID_KEY unless it is an uncompressed point on P-256
 * (WebCrypto checks the curve equation on import).
 * @param {Uint8Array} publicKey 65-byte SEC 1 point
 * @param {P256Use} use
 */
export async function importP256PublicKey(publicKey, use) {
  if (
    !ArrayBuffer.isView(publicKey) ||
    publicKey.length !== P256_PUBLIC_KEY_BYTES ||
    publicKey[0] !== SEC1_UNCOMPRESSED_PREFIX
  ) {
    throw new WebCryptoError('INVALID_KEY', 'A P-256 public key must be a 65-byte uncompressed point.');
  }
  const usages = /** @type {KeyUsage[]} */ (use === 'ECDSA' ? ['verify'] : []);
  try {
    return await subtle.importKey('raw', buf(publicKey), algorithm(use), true, usages);
  } catch {
    throw new WebCryptoError('INVALID_KEY', 'The public key is not a point on P-256.');
  }
}

/**
 * A raw private scalar (as the service's key vault holds them) as a CryptoKey. WebCrypto has no
 * raw import for EC private keys, so it goes through a JWK, which also needs the public point.
 * @param {Uint8Array} privateKey 32-byte scalar
 * @param {Uint8Array} publicKey its 65-byte SEC 1 point
 * @param {P256Use} use
 * @param {boolean} [extractable] false unless the caller must export it again (a backup)
 */
export async function importP256PrivateKey(privateKey, publicKey, use, extractable = false) {
  if (!ArrayBuffer.isView(privateKey) || privateKey.length !== P256_PRIVATE_KEY_BYTES) {
    throw new WebCryptoError('INVALID_KEY', 'A P-256 private key must be a 32-byte scalar.');
  }
  const jwk = { ...publicJwk(publicKey), d: base64url(privateKey) };
  const usages = /** @type {KeyUsage[]} */ (use === 'ECDSA' ? ['sign'] : ['deriveBits']);
  try {
    return await subtle.importKey('jwk', jwk, algorithm(use), extractable, usages);
  } catch {
    throw new WebCryptoError('INVALID_KEY', 'The private key does not fit P-256 or its public key.');
  }
}

/**
 * A fresh key pair: the private half a CryptoKey (non-extractable by default), the public half
 * as the 65 bytes the service publishes.
 * @param {P256Use} use
 * @param {boolean} [extractable]
 * @returns {Promise<{ privateKey: CryptoKey, publicKey: Uint8Array }>}
 */
export async function generateP256KeyPair(use, extractable = false) {
  const usages = /** @type {KeyUsage[]} */ (use === 'ECDSA' ? ['sign', 'verify'] : ['deriveBits']);
  const pair = /** @type {CryptoKeyPair} */ (await subtle.generateKey(algorithm(use), extractable, usages));
  return { privateKey: pair.privateKey, publicKey: await exportP256PublicKey(pair.publicKey) };
}

/** @param {CryptoKey} publicKey */
export async function exportP256PublicKey(publicKey) {
  return new Uint8Array(await subtle.exportKey('raw', publicKey));
}

/**
 * The raw 32-byte scalar of an extractable private key (for a backup, or a test handing the key
 * to the service's own code).
 * @param {CryptoKey} privateKey
 */
export async function exportP256PrivateKey(privateKey) {
  const jwk = await subtle.exportKey('jwk', privateKey);
  if (typeof jwk.d !== 'string') throw new WebCryptoError('INVALID_KEY', 'The key is not a private key.');
  return fromBase64url(jwk.d);
}

/**
 * ECDH: the x-coordinate of sk·PK (SEC 1 §3.3.1). It is a point, not a key: callers put it
 * through a KDF (RFC 9180 ExtractAndExpand).
 * @param {CryptoKey} privateKey ECDH private key
 * @param {Uint8Array} peerPublicKey 65-byte SEC 1 point
 */
export async function p256Ecdh(privateKey, peerPublicKey) {
  const peer = await importP256PublicKey(peerPublicKey, 'ECDH');
  return new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: peer }, privateKey, P256_ECDH_BITS));
}

/**
 * RFC 7518 §6.2.1: x and y are the point's coordinates, base64url, without the 0x04 prefix.
 * @param {Uint8Array} publicKey
 */
function publicJwk(publicKey) {
  if (publicKey.length !== P256_PUBLIC_KEY_BYTES || publicKey[0] !== SEC1_UNCOMPRESSED_PREFIX) {
    throw new WebCryptoError('INVALID_KEY', 'A P-256 public key must be a 65-byte uncompressed point.');
  }
  return {
    kty: 'EC',
    crv: 'P-256',
    x: base64url(publicKey.subarray(X_START, Y_START)),
    y: base64url(publicKey.subarray(Y_START, P256_PUBLIC_KEY_BYTES)),
  };
}
