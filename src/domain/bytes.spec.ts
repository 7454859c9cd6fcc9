import { bytesEqual, bytesToHex, concatBytes, hexToBytes, lengthPrefixed } from './bytes';

describe('bytes', () => {
  it('round-trips hex', () => {
    expect(bytesToHex(hexToBytes('00ff10'))).toBe('00ff10');
    expect(hexToBytes('0xabcd')).toEqual(Uint8Array.of(0xab, 0xcd));
  });

  it('refuses odd or non-hex input', () => {
    expect(() => hexToBytes('abc')).toThrow(TypeError);
    expect(() => hexToBytes('zz')).toThrow(TypeError);
  });

  it('concatenates and length-prefixes', () => {
    expect(concatBytes(Uint8Array.of(1), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    expect(lengthPrefixed(Uint8Array.of(9))).toEqual(Uint8Array.of(0, 0, 0, 1, 9));
  });

  it('compares bytes', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
  });
});
