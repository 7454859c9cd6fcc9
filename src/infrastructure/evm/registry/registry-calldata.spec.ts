import { randomBytes } from 'node:crypto';
import { hexlify } from 'ethers';
import { EmrRegistry__factory } from '../../../../typechain-types';
import {
  COMMIT_RECORD_SIGNATURE,
  encodeCommitRecord,
  encodeStoreChunks,
  RecordInputBytes,
  STORE_CHUNKS_SIGNATURE,
} from './registry-calldata';

describe('registry calldata', () => {
  const abi = EmrRegistry__factory.createInterface();

  function recordInput(overrides: Partial<RecordInputBytes> = {}): RecordInputBytes {
    return {
      patientKey: randomBytes(32),
      recordId: randomBytes(32),
      contentSha256: randomBytes(32),
      signerKeyId: randomBytes(32),
      contentLength: 10_256,
      chunks: [],
      sealedHeader: randomBytes(93),
      keyEnvelope: randomBytes(260),
      signature: randomBytes(64),
      ...overrides,
    };
  }

  function ethersCommit(record: RecordInputBytes, tail: readonly Uint8Array[]): string {
    return abi.encodeFunctionData('commitRecord', [
      { ...record, chunks: record.chunks.map((address) => hexlify(address)) },
      [...tail],
    ]);
  }

  it('uses the registry ABI signatures', () => {
    expect(abi.getFunction('storeChunks')!.format()).toBe(STORE_CHUNKS_SIGNATURE);
    expect(abi.getFunction('commitRecord')!.format()).toBe(COMMIT_RECORD_SIGNATURE);
  });

  it('encodes storeChunks like ethers, for one and several chunks of uneven lengths', () => {
    for (const lengths of [[1], [24_575, 24_575, 24_575], [32, 33, 31, 64]]) {
      const recordId = randomBytes(32);
      const chunks = lengths.map((length) => randomBytes(length));
      for (const firstIndex of [0, 3, 70_000]) {
        expect(hexlify(encodeStoreChunks(recordId, firstIndex, chunks))).toBe(
          abi.encodeFunctionData('storeChunks', [recordId, firstIndex, chunks]),
        );
      }
    }
  });

  it('encodes a single-transaction commit (tail chunks, no stored ones) like ethers', () => {
    const record = recordInput();
    const tail = [randomBytes(10_256)];
    expect(hexlify(encodeCommitRecord(record, tail))).toBe(ethersCommit(record, tail));
  });

  it('encodes a commit listing stored chunks, with or without a tail, like ethers', () => {
    const stored = Array.from({ length: 43 }, () => randomBytes(20));
    for (const tail of [[], [randomBytes(24_575), randomBytes(7)]]) {
      const record = recordInput({ chunks: stored, contentLength: 1_048_592 });
      expect(hexlify(encodeCommitRecord(record, tail))).toBe(ethersCommit(record, tail));
    }
  });

  it('encodes empty fields, empty content and word-aligned lengths like ethers', () => {
    const record = recordInput({
      contentLength: 0,
      sealedHeader: new Uint8Array(0),
      keyEnvelope: randomBytes(64),
      signature: randomBytes(32),
    });
    expect(hexlify(encodeCommitRecord(record, []))).toBe(ethersCommit(record, []));
    expect(hexlify(encodeCommitRecord(record, [new Uint8Array(0)]))).toBe(ethersCommit(record, [new Uint8Array(0)]));
  });

  it('refuses fields of the wrong size', () => {
    expect(() => encodeCommitRecord(recordInput({ recordId: randomBytes(31) }), [])).toThrow(RangeError);
    expect(() => encodeCommitRecord(recordInput({ chunks: [randomBytes(32)] }), [])).toThrow(RangeError);
    expect(() => encodeStoreChunks(randomBytes(32), -1, [randomBytes(1)])).toThrow(RangeError);
  });
});
