/** Shorter secrets match random base64 by chance (six bytes at every alignment need eight). */
export const MIN_SECRET_BYTES = 8;

/**
 * How `secret` sits in `bytes`, or null if it does not: raw (also lower-cased), hex (either
 * case), or base64 / base64url. A byte string inside a longer base64 text is encoded one of
 * three ways depending on its offset mod 3, so each alignment is searched (dropping the 0-2
 * leading bytes that share a group with the bytes before the secret, and the tail that
 * shares one with the bytes after).
 */
export function wherePhi(bytes: Uint8Array, secret: string | Uint8Array): string | null {
  const marker = Buffer.from(secret);
  if (marker.length < MIN_SECRET_BYTES) {
    throw new Error(`A secret to search for needs at least ${MIN_SECRET_BYTES} bytes; pad the test's value.`);
  }
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (file.includes(marker)) return 'raw';
  const text = file.toString('latin1');
  const lower = text.toLowerCase();
  if (lower.includes(marker.toString('latin1').toLowerCase())) return 'raw, other case';
  if (lower.includes(marker.toString('hex'))) return 'hex';
  for (let skip = 0; skip < 3; skip++) {
    const aligned = marker.subarray(skip, skip + Math.floor((marker.length - skip) / 3) * 3);
    if (text.includes(aligned.toString('base64'))) return `base64+${skip}`;
    if (text.includes(aligned.toString('base64url'))) return `base64url+${skip}`;
  }
  return null;
}

export function findsPhi(bytes: Uint8Array, secret: string | Uint8Array): boolean {
  return wherePhi(bytes, secret) !== null;
}
