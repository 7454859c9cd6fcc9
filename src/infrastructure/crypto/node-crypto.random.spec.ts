import { bytesToHex } from '../../domain/bytes';
import { NodeRandomSource } from './node-crypto.random';

describe('NodeRandomSource', () => {
  it('returns plain Uint8Arrays of the requested length, different each call', () => {
    const random = new NodeRandomSource();
    const a = random.bytes(32);
    const b = random.bytes(32);
    expect(a).toHaveLength(32);
    expect(Buffer.isBuffer(a)).toBe(false);
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
    expect(random.bytes(0)).toHaveLength(0);
  });

  it('keeps handing out fresh values across many pool refills', () => {
    const random = new NodeRandomSource();
    const seen = new Set<string>();
    // 1,000 × 33 bytes crosses the 4 KiB pool boundary several times, never aligned.
    for (let i = 0; i < 1_000; i++) seen.add(bytesToHex(random.bytes(33)));
    expect(seen.size).toBe(1_000);
  });

  it('serves a large request in full, outside the pool', () => {
    const big = new NodeRandomSource().bytes(10_000);
    expect(big).toHaveLength(10_000);
    expect(Buffer.isBuffer(big)).toBe(false);
    expect(big.some((byte) => byte !== 0)).toBe(true);
  });

  it('wipes the bytes it hands out from its pool, so a key drawn from it has no second copy', () => {
    const random = new NodeRandomSource();
    const drawn = random.bytes(32);
    // Private state, read on purpose: this property is the pool's security argument.
    const pool = (random as unknown as { pool: Uint8Array }).pool;
    expect(pool.subarray(0, 32).every((byte) => byte === 0)).toBe(true);
    expect(bytesToHex(pool)).not.toContain(bytesToHex(drawn));
  });

  it('refuses a negative or fractional length', () => {
    const random = new NodeRandomSource();
    expect(() => random.bytes(-1)).toThrow(RangeError);
    expect(() => random.bytes(1.5)).toThrow(RangeError);
  });
});
