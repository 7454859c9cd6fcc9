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
 *   INTEGRITY          a signed record does not hold together: content that does not match its
 *                      hash or length, a data key that does not open the header, an unreadable header
 *   UNAVAILABLE        no WebCrypto here (a browser page outside a secure context)
 */
/**
 * @typedef {'INVALID_KEY' | 'MALFORMED' | 'NO_SLOT' | 'DECRYPTION_FAILED' | 'BAD_SIGNATURE' | 'INTEGRITY'
 *   | 'UNAVAILABLE'} WebCryptoErrorCode
 */
export class WebCryptoError extends Error {
  /**
   * @param {WebCryptoErrorCode} code
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
 * `length` bytes from the platform's CSPRNG; UNAVAILABLE without WebCrypto, like every other call.
 * @param {number} length
 */
export function randomBytes(length) {
  if (!globalThis.crypto?.getRandomValues) {
    throw new WebCryptoError('UNAVAILABLE', 'WebCrypto is unavailable: serve the page over https or localhost.');
  }
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
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

/** Bytes per String.fromCharCode call: stays far below engines' argument-count limits. */
const BASE64_CHUNK_BYTES = 0x8000;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * RFC 4648 §4 base64 with padding, as the REST API carries sealed headers, envelopes and content.
 * @param {Uint8Array} bytes
 */
export function toBase64(bytes) {
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += BASE64_CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + BASE64_CHUNK_BYTES));
  }
  return btoa(binary);
}

/**
 * Inverse of toBase64; MALFORMED for anything but canonical-alphabet, padded base64.
 * @param {string} text
 */
export function fromBase64(text) {
  if (typeof text !== 'string' || !BASE64_PATTERN.test(text)) {
    throw new WebCryptoError('MALFORMED', 'Not base64.');
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * The API's hex: `0x` + lowercase hex.
 * @param {Uint8Array} bytes
 */
export function toHex0x(bytes) {
  return `0x${bytesToHex(bytes)}`;
}

/**
 * `0x`-prefixed hex as the API writes it (either case), of `length` bytes when given; MALFORMED otherwise.
 * @param {string} text
 * @param {number} [length]
 */
export function fromHex0x(text, length) {
  if (typeof text !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new WebCryptoError('MALFORMED', 'Not 0x-prefixed hex.');
  }
  const bytes = hexToBytes(text.slice(2));
  if (length !== undefined && bytes.length !== length) {
    throw new WebCryptoError('MALFORMED', `Expected ${length} bytes of hex.`);
  }
  return bytes;
}

/**
 * RFC 8017 I2OSP(length, 4) || bytes: the service's lengthPrefixed (src/domain/bytes.ts).
 * @param {Uint8Array} bytes
 */
export function lengthPrefixed(bytes) {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, false);
  out.set(bytes, 4);
  return out;
}
