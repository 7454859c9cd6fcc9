import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8 } from '../../../domain/bytes';

/**
 * Calldata of EmrRegistry's two write functions, encoded straight into one Uint8Array.
 *
 * ethers' Interface.encodeFunctionData builds the same bytes through hex strings, converting every
 * chunk between hex and bytes several times: ~6 ms of event-loop time for one 10 KiB commit, and
 * tens of ms for a 74 KB storeChunks call. registry-calldata.spec.ts checks the output byte for
 * byte against ethers.
 *
 * Wire format (Solidity ABI, "Formal Specification of the Encoding"): a 4-byte selector
 * (keccak256 of the signature), then the arguments as a tuple. Static values take one 32-byte word
 * (bytes32 as is, uint256 and address big-endian, left-padded); a dynamic value is an offset word
 * in its tuple's head, pointing (relative to the start of that tuple) at its tail:
 *   bytes     = length word || data, zero-padded to a multiple of 32
 *   T[]       = length word || the elements encoded as a tuple
 *   storeChunks(bytes32 recordId, uint256 firstIndex, bytes[] chunks)
 *     = selector || recordId || firstIndex || 0x60 || bytes[] chunks
 *   commitRecord(RecordInput record, bytes[] tailChunks)
 *     = selector || 0x40 || offset(tailChunks) || RecordInput || bytes[] tailChunks
 *   RecordInput = patientKey || recordId || contentSha256 || signerKeyId || contentLength
 *                 || offset(chunks) || offset(sealedHeader) || offset(keyEnvelope) || offset(signature)
 *                 || address[] chunks || bytes sealedHeader || bytes keyEnvelope || bytes signature
 */

const WORD_BYTES = 32;
const SELECTOR_BYTES = 4;
const ADDRESS_BYTES = 20;
/** RecordInput's head: five static fields and four offsets. */
const RECORD_INPUT_HEAD_WORDS = 9;

export const STORE_CHUNKS_SIGNATURE = 'storeChunks(bytes32,uint256,bytes[])';
export const COMMIT_RECORD_SIGNATURE =
  'commitRecord((bytes32,bytes32,bytes32,bytes32,uint256,address[],bytes,bytes,bytes),bytes[])';
const STORE_CHUNKS_SELECTOR = selector(STORE_CHUNKS_SIGNATURE);
const COMMIT_RECORD_SELECTOR = selector(COMMIT_RECORD_SIGNATURE);

/** EmrRegistry.RecordInput with every field as bytes (`chunks`: 20-byte addresses). */
export interface RecordInputBytes {
  readonly patientKey: Uint8Array;
  readonly recordId: Uint8Array;
  readonly contentSha256: Uint8Array;
  readonly signerKeyId: Uint8Array;
  readonly contentLength: number;
  readonly chunks: readonly Uint8Array[];
  readonly sealedHeader: Uint8Array;
  readonly keyEnvelope: Uint8Array;
  readonly signature: Uint8Array;
}

export function encodeStoreChunks(recordId: Uint8Array, firstIndex: number, chunks: readonly Uint8Array[]): Uint8Array {
  const writer = new AbiWriter(SELECTOR_BYTES + 3 * WORD_BYTES + bytesArrayBytes(chunks));
  writer.raw(STORE_CHUNKS_SELECTOR);
  writer.word32(recordId);
  writer.uint(firstIndex);
  writer.uint(3 * WORD_BYTES);
  writer.bytesArray(chunks);
  return writer.done();
}

export function encodeCommitRecord(record: RecordInputBytes, tailChunks: readonly Uint8Array[]): Uint8Array {
  const recordBytes = recordInputBytes(record);
  const writer = new AbiWriter(SELECTOR_BYTES + 2 * WORD_BYTES + recordBytes + bytesArrayBytes(tailChunks));
  writer.raw(COMMIT_RECORD_SELECTOR);
  writer.uint(2 * WORD_BYTES);
  writer.uint(2 * WORD_BYTES + recordBytes);

  writer.word32(record.patientKey);
  writer.word32(record.recordId);
  writer.word32(record.contentSha256);
  writer.word32(record.signerKeyId);
  writer.uint(record.contentLength);
  const chunksAt = RECORD_INPUT_HEAD_WORDS * WORD_BYTES;
  const sealedHeaderAt = chunksAt + WORD_BYTES * (1 + record.chunks.length);
  const keyEnvelopeAt = sealedHeaderAt + bytesBytes(record.sealedHeader);
  const signatureAt = keyEnvelopeAt + bytesBytes(record.keyEnvelope);
  writer.uint(chunksAt);
  writer.uint(sealedHeaderAt);
  writer.uint(keyEnvelopeAt);
  writer.uint(signatureAt);
  writer.uint(record.chunks.length);
  for (const address of record.chunks) writer.address(address);
  writer.bytes(record.sealedHeader);
  writer.bytes(record.keyEnvelope);
  writer.bytes(record.signature);

  writer.bytesArray(tailChunks);
  return writer.done();
}

function selector(signature: string): Uint8Array {
  return keccak_256(utf8(signature)).subarray(0, SELECTOR_BYTES);
}

function paddedBytes(length: number): number {
  return Math.ceil(length / WORD_BYTES) * WORD_BYTES;
}

/** Encoded size of one `bytes` value: length word and padded data. */
function bytesBytes(value: Uint8Array): number {
  return WORD_BYTES + paddedBytes(value.length);
}

/** Encoded size of a `bytes[]`: length word, one offset word per element, the elements. */
function bytesArrayBytes(values: readonly Uint8Array[]): number {
  let size = WORD_BYTES * (1 + values.length);
  for (const value of values) size += bytesBytes(value);
  return size;
}

function recordInputBytes(record: RecordInputBytes): number {
  return (
    WORD_BYTES * (RECORD_INPUT_HEAD_WORDS + 1 + record.chunks.length) +
    bytesBytes(record.sealedHeader) +
    bytesBytes(record.keyEnvelope) +
    bytesBytes(record.signature)
  );
}

/** Appends ABI words to a buffer of the exact final size (a fresh Uint8Array is all zeros: padding is free). */
class AbiWriter {
  private readonly out: Uint8Array;
  private offset = 0;

  constructor(size: number) {
    this.out = new Uint8Array(size);
  }

  raw(bytes: Uint8Array): void {
    this.out.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  word32(bytes: Uint8Array): void {
    if (bytes.length !== WORD_BYTES) throw new RangeError(`a bytes32 value must be ${WORD_BYTES} bytes`);
    this.raw(bytes);
  }

  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError('an ABI uint must be a safe non-negative integer');
    // Big-endian, right-aligned in the word.
    let rest = value;
    for (let at = this.offset + WORD_BYTES - 1; rest > 0; at--) {
      this.out[at] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    this.offset += WORD_BYTES;
  }

  address(bytes: Uint8Array): void {
    if (bytes.length !== ADDRESS_BYTES) throw new RangeError(`an address must be ${ADDRESS_BYTES} bytes`);
    this.out.set(bytes, this.offset + WORD_BYTES - ADDRESS_BYTES);
    this.offset += WORD_BYTES;
  }

  bytes(value: Uint8Array): void {
    this.uint(value.length);
    this.out.set(value, this.offset);
    this.offset += paddedBytes(value.length);
  }

  bytesArray(values: readonly Uint8Array[]): void {
    this.uint(values.length);
    // Element offsets count from the first offset word, just after the length.
    let elementAt = WORD_BYTES * values.length;
    for (const value of values) {
      this.uint(elementAt);
      elementAt += bytesBytes(value);
    }
    for (const value of values) this.bytes(value);
  }

  done(): Uint8Array {
    if (this.offset !== this.out.length)
      throw new Error(`ABI encoding wrote ${this.offset} of ${this.out.length} bytes`);
    return this.out;
  }
}
