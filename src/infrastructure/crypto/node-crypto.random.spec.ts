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
});
