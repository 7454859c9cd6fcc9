import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** A real 1×1 RGB PNG (PNG spec §5): signature, IHDR, IDAT, IEND. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC',
  'base64',
);
/** Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC): where a filler chunk may go. */
const END_OF_IHDR = 8 + 25;
/** Chunk framing: length (u32 BE) | type (4) | data | CRC-32 over type + data (4). */
const CHUNK_OVERHEAD_BYTES = 12;

/**
 * A valid PNG the service accepts as image/png, exactly `bytes` long: a 1×1 image carrying a
 * private ancillary chunk ("fiLl", skipped by decoders) of random bytes. Random content keeps any
 * size-dependent shortcut (compression, deduplication) from flattering a figure.
 */
export function pngLike(bytes: number): Buffer {
  const minimum = TINY_PNG.length + CHUNK_OVERHEAD_BYTES;
  if (bytes < minimum) throw new RangeError(`A PNG-like file needs at least ${minimum} bytes`);
  const typeAndData = Buffer.concat([Buffer.from('fiLl', 'ascii'), randomBytes(bytes - minimum)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(typeAndData.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([TINY_PNG.subarray(0, END_OF_IHDR), length, typeAndData, crc, TINY_PNG.subarray(END_OF_IHDR)]);
}
