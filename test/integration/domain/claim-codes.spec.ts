import { createHash } from 'node:crypto';
import { CLAIM_CODE_CHARS, ClaimCodes, normalizeClaimCode } from '../../../src/domain/claim-codes';
import { NodeHasher } from '../../../src/infrastructure/crypto/node-crypto.hasher';
import { NodeRandomSource } from '../../../src/infrastructure/crypto/node-crypto.random';

describe('ClaimCodes', () => {
  // The real adapters: these specs check the domain's use of SHA-256 and of the random source.
  const hasher = new NodeHasher();
  const random = new NodeRandomSource();
  const codes = new ClaimCodes(hasher, random);

  it('#13 issues 20 Crockford characters (100 bits) grouped by four, hashed as SHA-256 of the plain form', () => {
    const issued = codes.issue();
    expect(issued.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const plain = issued.code.replace(/-/g, '');
    expect(plain).toHaveLength(CLAIM_CODE_CHARS);
    expect(Buffer.from(issued.hash).toString('hex')).toBe(createHash('sha256').update(plain).digest('hex'));
  });

  it('#13 uses every bit it draws: all-zero bytes give all zeros, all-one bytes all Z', () => {
    expect(new ClaimCodes(hasher, { bytes: (n) => new Uint8Array(n) }).issue().code).toBe('0000-0000-0000-0000-0000');
    expect(new ClaimCodes(hasher, { bytes: (n) => new Uint8Array(n).fill(255) }).issue().code).toBe(
      'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ',
    );
    const seen = new Set(Array.from({ length: 200 }, () => codes.issue().code));
    expect(seen.size).toBe(200);
  });

  it('#13 reads a code typed in any case, without dashes, with spaces, O for 0 and I/L for 1', () => {
    const issued = codes.issue();
    const expected = Buffer.from(issued.hash).toString('hex');
    for (const typed of [
      issued.code,
      issued.code.toLowerCase(),
      issued.code.replace(/-/g, ''),
      ` ${issued.code.replace(/-/g, ' ')} `,
      issued.code.replace(/0/g, 'O').replace(/1/g, 'I'),
      issued.code.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l'),
    ]) {
      expect(Buffer.from(codes.hash(typed)!).toString('hex')).toBe(expected);
    }
    expect(normalizeClaimCode('abcd-efgh-jkmn-pqrs-tvwx')).toBe('ABCDEFGHJKMNPQRSTVWX');
    expect(normalizeClaimCode('oooo-iiii-llll-0000-1111')).toBe('00001111111100001111');
  });

  it('#13 refuses what cannot be a code: wrong length, U, punctuation', () => {
    for (const bad of [
      '',
      'ABCD',
      'ABCD-EFGH-JKMN-PQRS-TVWXY',
      'ABCD-EFGH-JKMN-PQRS-TVWU',
      'ABCD-EFGH-JKMN-PQRS-TVW!',
    ]) {
      expect(normalizeClaimCode(bad)).toBeNull();
      expect(codes.hash(bad)).toBeNull();
    }
  });
});
