import { createHash, randomBytes } from 'node:crypto';
import { AccessTokens, base64url } from '../../../src/domain/access-tokens';
import { NodeHasher } from '../../../src/infrastructure/crypto/node-crypto.hasher';
import { NodeRandomSource } from '../../../src/infrastructure/crypto/node-crypto.random';

describe('AccessTokens', () => {
  // The real adapters: these specs check the domain's use of SHA-256 and of the random source.
  const hasher = new NodeHasher();
  const random = new NodeRandomSource();

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
