import { createHash, randomBytes } from 'node:crypto';
import { AccessTokens, base64url } from './access-tokens';

describe('AccessTokens', () => {
  const hasher = {
    sha256: (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest()),
    sha1: (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest()),
  };
  const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };

  it('encodes base64url like Node does', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = randomBytes(length);
      expect(base64url(bytes)).toBe(bytes.toString('base64url'));
    }
  });

  it('issues distinct 256-bit tokens and matches only the right hash', () => {
    const tokens = new AccessTokens(hasher, random);
    const a = tokens.issue();
    const b = tokens.issue();
    expect(a.token).toMatch(/^emr_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(tokens.matches(a.token, a.hash)).toBe(true);
    expect(tokens.matches(a.token, b.hash)).toBe(false);
    expect(Buffer.from(a.hash).toString('hex')).toBe(createHash('sha256').update(a.token).digest('hex'));
  });
});
