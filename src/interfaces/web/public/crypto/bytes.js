// @ts-check
/**
 * Byte helpers and the one error type of the crypto module. No DOM and no dependencies: the
 * same file runs in the page, in Node 20 (globalThis.crypto) and in the unit tests.
 */

/**
 * Why an operation failed, as a stable code a caller can switch on. Messages never carry keys,
 * plaintext or ciphertext.
 *   INVALID_KEY        a key is malformed, off the curve, or of the wrong length
 *   MALFORMED          an envelope, part index or signature does not follow its format
 *   NO_SLOT            the key envelope holds no slot for this recipient
 *   DECRYPTION_FAILED  an AEAD tag did not verify: wrong key, or tampered data
 *   BAD_SIGNATURE      a record signature does not verify
 *   UNAVAILABLE        no WebCrypto here (a browser page outside a secure context)
 */
export class WebCryptoError extends Error {
  /**
   * @param {'INVALID_KEY' | 'MALFORMED' | 'NO_SLOT' | 'DECRYPTION_FAILED' | 'BAD_SIGNATURE' | 'UNAVAILABLE'} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'WebCryptoError';
    this.code = code;
  }
}

/**
 * WebCrypto's entry point, the same object in browsers and in Node 20. Browsers expose it only in
 * secure contexts (https, or http://localhost): a page served over plain http elsewhere gets a
 * stand-in whose every use throws UNAVAILABLE, rather than an opaque TypeError deep inside HPKE.
 * Importing the module never throws, so a page can still load and say what is wrong.
 * @type {SubtleCrypto}
 */
export const subtle = globalThis.crypto?.subtle ?? unavailableSubtle();

/** @returns {SubtleCrypto} */
function unavailableSubtle() {
  const refuse = () => {
    throw new WebCryptoError('UNAVAILABLE', 'WebCrypto is unavailable: serve the page over https or localhost.');
  };
  return /** @type {SubtleCrypto} */ (new Proxy({}, { get: refuse }));
}

/**
 * TypeScript's DOM types want ArrayBuffer-backed views; every view here is one (nothing in the
 * page or the service hands out SharedArrayBuffers), so this only narrows the type.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function buf(bytes) {
  return /** @type {Uint8Array<ArrayBuffer>} */ (bytes);
}

/**
 * @param {...Uint8Array} parts
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Constant-time in the content (not the length): key ids are public, but it costs nothing.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** @param {string} text */
export function utf8(text) {
  return new TextEncoder().encode(text);
}

/** @param {string} hex */
export function hexToBytes(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new RangeError('Not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} bytes */
export function bytesToHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * RFC 8017 §4.1 I2OSP for non-negative safe integers.
 * @param {number} value
 * @param {number} length
 */
export function i2osp(value, length) {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('I2OSP: not a non-negative safe integer');
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0 && rest > 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  if (rest > 0) throw new RangeError('I2OSP: integer too large');
  return out;
}

/** @param {Uint8Array} bytes RFC 4648 §5 base64url, no padding (JWK's encoding). */
export function base64url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {string} text */
export function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
