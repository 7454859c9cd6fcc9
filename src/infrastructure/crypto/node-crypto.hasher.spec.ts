import { bytesToHex, utf8 } from '../../domain/bytes';
import { NodeHasher } from './node-crypto.hasher';

describe('NodeHasher', () => {
  it('computes SHA-256 (FIPS 180-2 "abc" and empty-input vectors)', () => {
    const hasher = new NodeHasher();
    expect(bytesToHex(hasher.sha256(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(bytesToHex(hasher.sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('#15 computes SHA-1 (FIPS 180-1 "abc" vector), the hash FHIR Attachment.hash carries', () => {
    expect(bytesToHex(new NodeHasher().sha1(utf8('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});
