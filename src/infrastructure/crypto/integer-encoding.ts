/** Big-endian integer <-> octet string conversions (RFC 8017 §4.1 I2OSP, §4.2 OS2IP). */

/** I2OSP for JavaScript numbers: `value` must be a non-negative safe integer below 256^length. */
export function i2osp(value: number, length: number): Uint8Array {
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

export function os2ip(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** I2OSP for bigints; `value` must fit in `length` octets. */
export function bigintToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n || value < 0n) throw new RangeError('I2OSP: integer out of range');
  return out;
}
