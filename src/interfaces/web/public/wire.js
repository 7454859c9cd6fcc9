// @ts-check
/** Bytes as the REST contract writes them in JSON: `0x` + lowercase hex, and standard base64 (RFC 4648 §4). */

/** @param {Uint8Array} bytes */
export function toHex0x(bytes) {
  return `0x${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** @param {string} text `0x…` hex (the prefix is optional) */
export function fromHex0x(text) {
  const hex = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new RangeError('Not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} bytes */
export function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** @param {string} text */
export function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** @param {Uint8Array} a @param {Uint8Array} b */
export function sameBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A Blob over the bytes (no copy: record bytes are never backed by a SharedArrayBuffer here). @param {Uint8Array} bytes @param {string} type */
export function bytesBlob(bytes, type) {
  return new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (bytes)], { type });
}
