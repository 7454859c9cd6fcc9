import { deflateSync } from 'node:zlib';

/** PNG layout (PNG spec §5): 8-byte signature, then chunks of length (4) | type (4) | data | CRC (4). */
const PNG_SIGNATURE_BYTES = 8;
const CHUNK_OVERHEAD_BYTES = 12;
const IHDR_BYTES = 13;
/** TIFF header: byte order (2), 42 (2), offset of the first IFD (4), which here follows at once. */
const TIFF_HEADER_BYTES = 8;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid RGB PNG (PNG spec §5) whose pixels are a gradient seeded by `seed`. */
export function makePng(width: number, height: number, seed = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x + seed) & 0xff;
      raw[row + 2 + x * 3] = (y * 2 + seed) & 0xff;
      raw[row + 3 + x * 3] = (x * y + seed) & 0xff;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function makePdf(): Buffer {
  return Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n', 'latin1');
}

/** One explicit-VR little-endian DICOM element (PS3.5 §7.1.2): tag, VR, length, value padded to even length. */
function dicomElement(group: number, element: number, vr: string, value: Buffer): Buffer {
  const padded = value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.alloc(1)]);
  const longForm = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
  const head = Buffer.alloc(longForm ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  if (longForm) head.writeUInt32LE(padded.length, 8);
  else head.writeUInt16LE(padded.length, 6);
  return Buffer.concat([head, padded]);
}

/**
 * DICOM Part 10 (PS3.10 §7.1): 128-byte preamble, "DICM", the file meta group (0002) with
 * its group length, then a Secondary Capture dataset naming the same SOP class and instance.
 */
export function makeDicom(): Buffer {
  const sopClass = Buffer.from('1.2.840.10008.5.1.4.1.1.7', 'latin1');
  const sopInstance = Buffer.from('1.2.826.0.1.3680043.2.1143.1', 'latin1');
  const meta = Buffer.concat([
    dicomElement(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    dicomElement(0x0002, 0x0002, 'UI', sopClass),
    dicomElement(0x0002, 0x0003, 'UI', sopInstance),
    dicomElement(0x0002, 0x0010, 'UI', Buffer.from('1.2.840.10008.1.2.1', 'latin1')),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    dicomElement(0x0002, 0x0000, 'UL', groupLength),
    meta,
    dicomElement(0x0008, 0x0016, 'UI', sopClass),
    dicomElement(0x0008, 0x0018, 'UI', sopInstance),
  ]);
}

function jpegSegment(marker: number, data: number[]): Buffer {
  return Buffer.from([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff, ...data]);
}

/**
 * A 1×1 grey baseline JPEG (ITU T.81): SOI, JFIF APP0, one quantisation table, SOF0, one DC and
 * one AC Huffman table of a single 1-bit code each, SOS, one entropy-coded byte (DC difference 0,
 * then end of block, padded with 1 bits), EOI.
 */
export function makeJpeg(): Buffer {
  const jfif = [...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const singleCodeTable = (tableClassAndId: number) => [tableClassAndId, 1, ...new Array(15).fill(0), 0];
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, jfif),
    jpegSegment(0xdb, [0x00, ...new Array(64).fill(1)]),
    jpegSegment(0xc0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]),
    jpegSegment(0xc4, singleCodeTable(0x00)),
    jpegSegment(0xc4, singleCodeTable(0x10)),
    jpegSegment(0xda, [1, 1, 0x00, 0, 63, 0]),
    Buffer.from([0x3f, 0xff, 0xd9]),
  ]);
}

/** A 1×1 GIF89a: header, logical screen with a 2-colour global table, one image, trailer. */
export function makeGif(): Buffer {
  return Buffer.from('47494638396101000100800000000000ffffff2c00000000010001000002024401003b', 'hex');
}

/** A 1×1 lossless WebP (RIFF "WEBP" with one VP8L chunk, padded to even length). */
export function makeWebp(): Buffer {
  return Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
}

/** A 1×1 8-bit greyscale little-endian TIFF: header, one IFD of 8 entries, one strip of one byte. */
export function makeTiff(): Buffer {
  const entries: [tag: number, type: number, value: number][] = [
    [256, 3, 1], // ImageWidth
    [257, 3, 1], // ImageLength
    [258, 3, 8], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // PhotometricInterpretation: BlackIsZero
    [273, 4, TIFF_HEADER_BYTES + 2 + 8 * 12 + 4], // StripOffsets: just after the IFD (count, 8 entries, next offset)
    [278, 3, 1], // RowsPerStrip
    [279, 4, 1], // StripByteCounts
  ];
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, value], index) => {
    const at = 2 + index * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(1, at + 4);
    if (type === 3) ifd.writeUInt16LE(value, at + 8);
    else ifd.writeUInt32LE(value, at + 8);
  });
  const header = Buffer.from([0x49, 0x49, 0x2a, 0x00, TIFF_HEADER_BYTES, 0, 0, 0]);
  return Buffer.concat([header, ifd, Buffer.from([0x80])]);
}

/** A 1×1 24-bit BMP: BITMAPFILEHEADER, BITMAPINFOHEADER (40 bytes), one row padded to 4 bytes. */
export function makeBmp(): Buffer {
  const file = Buffer.alloc(14 + 40 + 4);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(14 + 40, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(1, 18); // width
  file.writeInt32LE(1, 22); // height
  file.writeUInt16LE(1, 26); // planes
  file.writeUInt16LE(24, 28); // bits per pixel
  file.writeUInt32LE(4, 34); // image size
  file.fill(0xff, 54, 57);
  return file;
}

/**
 * A valid PNG exactly `size` bytes long (at least 81): a 1×1 image with a private ancillary
 * chunk ("fiLl", which decoders skip) of random-looking filler.
 */
export function pngOfSize(size: number): Buffer {
  const image = makePng(1, 1);
  const fill = size - image.length - CHUNK_OVERHEAD_BYTES;
  if (fill < 0) throw new RangeError(`pngOfSize needs at least ${image.length + CHUNK_OVERHEAD_BYTES} bytes`);
  const filler = Buffer.alloc(fill);
  for (let i = 0; i < fill; i++) filler[i] = (i * 2654435761) >>> 24;
  const endOfIhdr = PNG_SIGNATURE_BYTES + CHUNK_OVERHEAD_BYTES + IHDR_BYTES;
  return Buffer.concat([image.subarray(0, endOfIhdr), chunk('fiLl', filler), image.subarray(endOfIhdr)]);
}
