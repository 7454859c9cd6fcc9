/**
 * How an upload is split into EmrRegistry transactions, and the gas each one may use.
 *
 * Content lives in "chunks": contracts whose code is 0x00 (STOP) || up to 24,575 ciphertext bytes.
 * `storeChunks` deploys several per transaction; `commitRecord` deploys the last few and commits.
 * Every gas limit here is computed from the gas schedule rather than eth_estimateGas, because the
 * chunk transactions of one upload are pipelined: transaction k+1 is signed before k is mined, and
 * would revert in an estimate made against the state before k.
 *
 * Gas schedule (Yellow Paper Appendix G and the EIPs named), per item:
 *   transaction            21,000
 *   calldata byte          16 non-zero (EIP-2028; counted for every byte, an upper bound),
 *                          EIP-7623's floor (40 per non-zero byte) never binds here: execution
 *                          gas is ≥ 200 per byte of code deposit
 *   CREATE                 32,000, + 2 per 32-byte word of initcode (EIP-3860)
 *   code deposit           200 per byte of runtime code (limit 24,576 bytes, EIP-170)
 *   memory                 3 per word + words² / 512 (quadratic part), copies 3 per word
 *   CREATE's child gets at most 63/64 of the remaining gas (EIP-150), so the limit reserves
 *   1/63 of the largest child's need on top of the sum.
 * The per-call and per-chunk overheads below (storage writes, events, hashing, ABI decoding) were
 * measured on EmrRegistry compiled with solc 0.8.37 (optimizer 200 runs) and rounded up; the
 * contract tests assert that every limit covers the gas actually used.
 */

/** EIP-170: maximum runtime code size, bytes. */
export const EIP170_MAX_CODE_BYTES = 24_576;
/** A chunk's payload: the code size limit less the leading STOP byte. */
export const MAX_CHUNK_BYTES = EIP170_MAX_CODE_BYTES - 1;
/** EIP-7825 (Osaka): maximum gas of one transaction. */
export const EIP7825_TX_GAS_CAP = 16_777_216;
/** Manifest prefix: STOP + three u16 field lengths. */
export const MANIFEST_PREFIX_BYTES = 7;
/** Bytes per chunk address in the manifest. */
export const MANIFEST_ADDRESS_BYTES = 20;

const WORD_BYTES = 32;
const GAS_TX = 21_000;
const GAS_CALLDATA_BYTE = 16;
const GAS_CREATE = 32_000;
const GAS_INITCODE_WORD = 2;
const GAS_CODE_DEPOSIT_BYTE = 200;
const GAS_COPY_WORD = 3;
const GAS_MEMORY_WORD = 3;
const MEMORY_QUADRATIC_DIVISOR = 512;
/** Loader in front of the runtime code (PUSH2 DUP1 PUSH1 PUSH0 CODECOPY PUSH0 RETURN). */
const INITCODE_LOADER_BYTES = 10;
/** Gas of the loader's own opcodes. */
const GAS_LOADER_OPCODES = 20;
/** Memory in use before the scratch buffer (Solidity's reserved 128 bytes plus returned arrays). */
const BASE_MEMORY_BYTES = 1_024;

/** storeChunks beyond the terms below, measured ~46k (first call: two pending-upload SSTOREs). */
const STORE_CHUNKS_FIXED_GAS = 80_000;
/** commitRecord beyond the terms below, measured ~165k (new patient: five record slots, history). */
const COMMIT_FIXED_GAS = 200_000;
/** Per chunk beyond the schedule above: digest, event, loop (measured ~3k). */
const PER_CHUNK_OVERHEAD_GAS = 6_000;
/** Per already-stored chunk named in a commit: digest check and address packing. */
const PER_LISTED_CHUNK_GAS = 1_500;

function words(bytes: number): number {
  return Math.ceil(bytes / WORD_BYTES);
}

function memoryGas(bytes: number): number {
  const w = words(bytes);
  return GAS_MEMORY_WORD * w + Math.floor((w * w) / MEMORY_QUADRATIC_DIVISOR);
}

/** ABI-encoded `bytes` element inside a dynamic array: offset word + length word + padded data. */
function abiBytesElementBytes(length: number): number {
  return WORD_BYTES * 2 + words(length) * WORD_BYTES;
}

/** Gas spent inside CREATE's child frame for a runtime of `runtimeBytes`: copy, memory, deposit. */
function childGas(runtimeBytes: number): number {
  return (
    GAS_LOADER_OPCODES +
    GAS_COPY_WORD * words(runtimeBytes) +
    memoryGas(runtimeBytes) +
    GAS_CODE_DEPOSIT_BYTE * runtimeBytes
  );
}

/** Gas of deploying one contract whose runtime is `runtimeBytes`, from initcode built in memory. */
function createGas(runtimeBytes: number): number {
  const initcodeBytes = INITCODE_LOADER_BYTES + runtimeBytes;
  return GAS_CREATE + GAS_INITCODE_WORD * words(initcodeBytes) + childGas(runtimeBytes);
}

/** Gas of deploying the chunks, in a call that already paid for its calldata. */
function chunksExecutionGas(chunkLengths: readonly number[]): number {
  let gas = 0;
  let largest = 0;
  for (const length of chunkLengths) {
    // calldatacopy of the payload into the scratch initcode buffer, then CREATE.
    gas += GAS_COPY_WORD * words(length) + createGas(length + 1) + PER_CHUNK_OVERHEAD_GAS;
    largest = Math.max(largest, length);
  }
  // One scratch buffer, reused by every chunk: expansion is paid once for the largest.
  return gas + memoryGas(BASE_MEMORY_BYTES + INITCODE_LOADER_BYTES + 1 + largest);
}

/** EIP-150 reserve: the parent keeps 1/64 of its gas at each CREATE, so the child's need × 64/63. */
function create63rdReserve(runtimeBytes: readonly number[]): number {
  return Math.ceil(Math.max(0, ...runtimeBytes.map(childGas)) / 63);
}

/** Gas limit for `storeChunks(recordId, firstIndex, chunks)` with chunks of these lengths. */
export function storeChunksGasLimit(chunkLengths: readonly number[]): number {
  const calldataBytes =
    4 + WORD_BYTES * 4 + chunkLengths.reduce((sum, length) => sum + abiBytesElementBytes(length), 0);
  return (
    GAS_TX +
    GAS_CALLDATA_BYTE * calldataBytes +
    STORE_CHUNKS_FIXED_GAS +
    chunksExecutionGas(chunkLengths) +
    create63rdReserve(chunkLengths.map((length) => length + 1))
  );
}

/** Size of a record's manifest code for these sealed field sizes and chunk count. */
export function manifestBytes(sealedFieldsBytes: number, chunkCount: number): number {
  return MANIFEST_PREFIX_BYTES + sealedFieldsBytes + MANIFEST_ADDRESS_BYTES * chunkCount;
}

export interface CommitShape {
  /** Chunks stored by earlier storeChunks calls and listed in the commit. */
  readonly storedChunks: number;
  /** Lengths of the chunks the commit deploys itself. */
  readonly tailChunkLengths: readonly number[];
  /** sealedHeader + keyEnvelope + signature, bytes. */
  readonly sealedFieldsBytes: number;
}

/** Gas limit for `commitRecord(record, tailChunks)` of this shape. */
export function commitGasLimit(shape: CommitShape): number {
  const chunkCount = shape.storedChunks + shape.tailChunkLengths.length;
  const manifest = manifestBytes(shape.sealedFieldsBytes, chunkCount);
  const calldataBytes =
    4 +
    WORD_BYTES * 16 + // heads of the two arguments and the struct's fixed fields and offsets
    WORD_BYTES * shape.storedChunks +
    words(shape.sealedFieldsBytes) * WORD_BYTES +
    WORD_BYTES * 3 +
    shape.tailChunkLengths.reduce((sum, length) => sum + abiBytesElementBytes(length), 0);
  // The manifest is assembled in memory twice (runtime, then loader + runtime), after the
  // packed address list.
  const manifestMemory = memoryGas(
    BASE_MEMORY_BYTES + 3 * manifest + MANIFEST_ADDRESS_BYTES * chunkCount + 4 * WORD_BYTES,
  );
  return (
    GAS_TX +
    GAS_CALLDATA_BYTE * calldataBytes +
    COMMIT_FIXED_GAS +
    PER_LISTED_CHUNK_GAS * chunkCount +
    chunksExecutionGas(shape.tailChunkLengths) +
    GAS_COPY_WORD * 3 * words(manifest) +
    manifestMemory +
    createGas(manifest) +
    create63rdReserve([...shape.tailChunkLengths.map((length) => length + 1), manifest])
  );
}

/** Splits `contentLength` bytes into chunk lengths: full chunks, then the remainder. */
export function chunkLengths(contentLength: number): number[] {
  const lengths: number[] = [];
  for (let offset = 0; offset < contentLength; offset += MAX_CHUNK_BYTES) {
    lengths.push(Math.min(MAX_CHUNK_BYTES, contentLength - offset));
  }
  return lengths;
}

/** A chunk of the content: its byte range. */
export interface PlannedChunk {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

export interface UploadPlan {
  readonly chunks: readonly PlannedChunk[];
  /** storeChunks transactions, in order; each lists consecutive chunks. */
  readonly batches: readonly (readonly PlannedChunk[])[];
  /** Chunks deployed by the commit itself (the last ones). */
  readonly tail: readonly PlannedChunk[];
  readonly batchGasLimits: readonly number[];
  readonly commitGasLimit: number;
}

/** Largest content (bytes) whose manifest still fits EIP-170 with these sealed field sizes. */
export function maxContentBytes(sealedFieldsBytes: number): number {
  const addressRoom = EIP170_MAX_CODE_BYTES - MANIFEST_PREFIX_BYTES - sealedFieldsBytes;
  return Math.max(0, Math.floor(addressRoom / MANIFEST_ADDRESS_BYTES)) * MAX_CHUNK_BYTES;
}

/**
 * Plans an upload: as many trailing chunks as fit ride in the commit (a small record is a single
 * transaction), the rest go in storeChunks batches as large as the per-transaction cap allows
 * (three full chunks: 3 × ~5.36 M gas). Full chunks only, except the last: every extra chunk costs
 * a CREATE and more, so filling a batch's leftover gas with a partial chunk would cost more gas per
 * byte than it saves.
 */
export function planUpload(
  contentLength: number,
  sealedFieldsBytes: number,
  txGasCap: number = EIP7825_TX_GAS_CAP,
): UploadPlan {
  if (contentLength > maxContentBytes(sealedFieldsBytes)) {
    throw new RangeError(`content of ${contentLength} bytes needs a manifest over the EIP-170 limit`);
  }
  const chunks: PlannedChunk[] = [];
  let start = 0;
  chunkLengths(contentLength).forEach((length, index) => {
    chunks.push({ index, start, end: start + length });
    start += length;
  });
  const lengthOf = (chunk: PlannedChunk): number => chunk.end - chunk.start;

  let tailCount = 0;
  const commitFor = (tail: number): number =>
    commitGasLimit({
      storedChunks: chunks.length - tail,
      tailChunkLengths: chunks.slice(chunks.length - tail).map(lengthOf),
      sealedFieldsBytes,
    });
  if (commitFor(0) > txGasCap) throw new RangeError('a bare commit exceeds the transaction gas cap');
  while (tailCount < chunks.length && commitFor(tailCount + 1) <= txGasCap) tailCount++;

  const batches: PlannedChunk[][] = [];
  const batchGasLimits: number[] = [];
  const stored = chunks.slice(0, chunks.length - tailCount);
  for (let next = 0; next < stored.length;) {
    const batch: PlannedChunk[] = [stored[next]];
    if (storeChunksGasLimit(batch.map(lengthOf)) > txGasCap) {
      throw new RangeError('a single chunk exceeds the transaction gas cap');
    }
    while (
      next + batch.length < stored.length &&
      storeChunksGasLimit([...batch, stored[next + batch.length]].map(lengthOf)) <= txGasCap
    ) {
      batch.push(stored[next + batch.length]);
    }
    batches.push(batch);
    batchGasLimits.push(storeChunksGasLimit(batch.map(lengthOf)));
    next += batch.length;
  }
  return {
    chunks,
    batches,
    tail: chunks.slice(chunks.length - tailCount),
    batchGasLimits,
    commitGasLimit: commitFor(tailCount),
  };
}
