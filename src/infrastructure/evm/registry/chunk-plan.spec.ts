import {
  chunkLengths,
  commitGasLimit,
  EIP7825_TX_GAS_CAP,
  MAX_CHUNK_BYTES,
  maxContentBytes,
  planUpload,
  storeChunksGasLimit,
} from './chunk-plan';

const FIELDS = 120 + 150 + 64;

describe('chunk plan', () => {
  it('splits content into full 24,575-byte chunks and a remainder', () => {
    expect(MAX_CHUNK_BYTES).toBe(24_575);
    expect(chunkLengths(0)).toEqual([]);
    expect(chunkLengths(1)).toEqual([1]);
    expect(chunkLengths(MAX_CHUNK_BYTES)).toEqual([MAX_CHUNK_BYTES]);
    expect(chunkLengths(MAX_CHUNK_BYTES + 1)).toEqual([MAX_CHUNK_BYTES, 1]);
  });

  it('fits three full chunks under the EIP-7825 cap, not four', () => {
    const full = (n: number) => Array.from({ length: n }, () => MAX_CHUNK_BYTES);
    expect(storeChunksGasLimit(full(3))).toBeLessThanOrEqual(EIP7825_TX_GAS_CAP);
    expect(storeChunksGasLimit(full(4))).toBeGreaterThan(EIP7825_TX_GAS_CAP);
    // Each full chunk is dominated by its code deposit: 200 gas × 24,576 bytes.
    expect(storeChunksGasLimit(full(2)) - storeChunksGasLimit(full(1))).toBeGreaterThan(200 * 24_576);
  });

  it('puts a small record in a single commit transaction', () => {
    const plan = planUpload(1_040, FIELDS);
    expect(plan.batches).toEqual([]);
    expect(plan.tail).toEqual([{ index: 0, start: 0, end: 1_040 }]);
    expect(plan.commitGasLimit).toBeLessThan(1_000_000);
  });

  it('plans an empty record as a bare commit', () => {
    const plan = planUpload(0, FIELDS);
    expect(plan.chunks).toEqual([]);
    expect(plan.batches).toEqual([]);
    expect(plan.tail).toEqual([]);
  });

  it('covers every chunk exactly once, in order, with every transaction under the cap', () => {
    for (const length of [1, 24_576, 100_000, 262_160, 1_048_592, 10_485_776]) {
      const plan = planUpload(length, FIELDS);
      const ordered = [...plan.batches.flat(), ...plan.tail];
      expect(ordered.map((chunk) => chunk.index)).toEqual(plan.chunks.map((chunk) => chunk.index));
      expect(ordered[ordered.length - 1].end).toBe(length);
      ordered.forEach((chunk, i) => expect(chunk.start).toBe(i === 0 ? 0 : ordered[i - 1].end));
      for (const limit of [...plan.batchGasLimits, plan.commitGasLimit]) {
        expect(limit).toBeLessThanOrEqual(EIP7825_TX_GAS_CAP);
      }
    }
  });

  it('needs 143 storeChunks transactions plus the commit for 10 MiB', () => {
    const plan = planUpload(10 * 1_024 * 1_024 + 16, FIELDS);
    expect(plan.chunks).toHaveLength(427);
    expect(plan.batches.length + 1).toBe(143);
  });

  it('grows the commit estimate with the manifest and the tail', () => {
    const bare = commitGasLimit({ storedChunks: 0, tailChunkLengths: [], sealedFieldsBytes: FIELDS });
    const listed = commitGasLimit({ storedChunks: 100, tailChunkLengths: [], sealedFieldsBytes: FIELDS });
    expect(listed - bare).toBeGreaterThan(100 * 20 * 200);
    const withTail = commitGasLimit({
      storedChunks: 0,
      tailChunkLengths: [MAX_CHUNK_BYTES],
      sealedFieldsBytes: FIELDS,
    });
    expect(withTail - bare).toBeGreaterThan(200 * 24_576);
  });

  it('refuses content whose manifest would not fit EIP-170', () => {
    const max = maxContentBytes(FIELDS);
    expect(max).toBe(Math.floor((24_576 - 7 - FIELDS) / 20) * MAX_CHUNK_BYTES);
    expect(() => planUpload(max + 1, FIELDS)).toThrow(RangeError);
    expect(maxContentBytes(24_576)).toBe(0);
  });
});
