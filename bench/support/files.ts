import { randomBytes } from 'node:crypto';

/** PNG signature (PNG spec §5.2): the service recognises files by their magic bytes only. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A file the service accepts as image/png, exactly `bytes` long: the PNG signature followed by
 * random (incompressible) bytes. Only the magic bytes are checked on upload, and random content
 * keeps any size-dependent shortcut (compression, deduplication) from flattering a figure.
 */
export function pngLike(bytes: number): Buffer {
  if (bytes < PNG_SIGNATURE.length)
    throw new RangeError(`A PNG-like file needs at least ${PNG_SIGNATURE.length} bytes`);
  return Buffer.concat([PNG_SIGNATURE, randomBytes(bytes - PNG_SIGNATURE.length)]);
}
