/**
 * The minimal structure of each accepted format, checked after its magic bytes matched: enough
 * that a bare signature, a fake header or a file cut short is refused. Nothing is decoded; each
 * check walks the format's framing (chunks, segments, blocks, directories) and stays inside the bytes.
 */

/** A byte view whose readers answer -1 past the end, so a truncated file fails a comparison instead of throwing. */
class Bytes {
  constructor(readonly bytes: Uint8Array) {}

  get length(): number {
    return this.bytes.length;
  }

  u8(offset: number): number {
    return offset >= 0 && offset < this.bytes.length ? this.bytes[offset] : -1;
  }

  u16be(offset: number): number {
    return this.has(offset, 2) ? (this.bytes[offset] << 8) | this.bytes[offset + 1] : -1;
  }

  u16le(offset: number): number {
    return this.has(offset, 2) ? this.bytes[offset] | (this.bytes[offset + 1] << 8) : -1;
  }

  u32be(offset: number): number {
    return this.has(offset, 4)
      ? this.bytes[offset] * 2 ** 24 + this.u16be(offset + 1) * 2 ** 8 + this.bytes[offset + 3]
      : -1;
  }

  u32le(offset: number): number {
    return this.has(offset, 4) ? this.u16le(offset) + this.u16le(offset + 2) * 2 ** 16 : -1;
  }

  i32le(offset: number): number {
    const value = this.u32le(offset);
    return value >= 2 ** 31 ? value - 2 ** 32 : value;
  }

  ascii(offset: number, length: number): string {
    if (!this.has(offset, length)) return '';
    return String.fromCharCode(...this.bytes.subarray(offset, offset + length));
  }

  /** Whether `length` bytes from `offset` are inside the file. */
  has(offset: number, length: number): boolean {
    return offset >= 0 && length >= 0 && offset + length <= this.bytes.length;
  }
}

/* ---------- PNG (ISO/IEC 15948 §5.3, §11.2.2): signature | IHDR | … IDAT … | IEND ---------- */

const PNG_SIGNATURE_BYTES = 8;
/** Chunk: length (u32 BE) | type (4) | data | CRC-32 over type + data (4). */
const PNG_CHUNK_OVERHEAD_BYTES = 12;
const PNG_IHDR_BYTES = 13;
/** IHDR: width (4) | height (4) | bit depth | colour type | compression | filter | interlace. */
const PNG_BIT_DEPTHS_BY_COLOUR_TYPE: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
const PNG_MAX_DIMENSION = 2 ** 31 - 1;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO 3309) as PNG uses it. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function isWellFormedPng(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  const ihdr = PNG_SIGNATURE_BYTES;
  if (file.u32be(ihdr) !== PNG_IHDR_BYTES || file.ascii(ihdr + 4, 4) !== 'IHDR') return false;
  if (!file.has(ihdr, PNG_CHUNK_OVERHEAD_BYTES + PNG_IHDR_BYTES)) return false;
  if (crc32(bytes.subarray(ihdr + 4, ihdr + 8 + PNG_IHDR_BYTES)) !== file.u32be(ihdr + 8 + PNG_IHDR_BYTES))
    return false;
  const data = ihdr + 8;
  const [width, height] = [file.u32be(data), file.u32be(data + 4)];
  if (width < 1 || width > PNG_MAX_DIMENSION || height < 1 || height > PNG_MAX_DIMENSION) return false;
  if (!(PNG_BIT_DEPTHS_BY_COLOUR_TYPE[file.u8(data + 9)] ?? []).includes(file.u8(data + 8))) return false;
  if (file.u8(data + 10) !== 0 || file.u8(data + 11) !== 0 || file.u8(data + 12) > 1) return false;

  // Walk the chunks to IEND: every chunk inside the file, at least one IDAT. Bytes after IEND are ignored.
  let sawImageData = false;
  for (let at = ihdr + PNG_CHUNK_OVERHEAD_BYTES + PNG_IHDR_BYTES; ;) {
    const length = file.u32be(at);
    if (length < 0 || !file.has(at, PNG_CHUNK_OVERHEAD_BYTES + length)) return false;
    const type = file.ascii(at + 4, 4);
    if (type === 'IEND') return sawImageData;
    if (type === 'IDAT') sawImageData = true;
    at += PNG_CHUNK_OVERHEAD_BYTES + length;
  }
}

/* ---------- JPEG (ITU T.81 Annex B): SOI | marker segments incl. SOFn | SOS | entropy data | EOI ---------- */

const JPEG_SOI_BYTES = 2;
const JPEG_SOS = 0xda;
const JPEG_EOI = 0xd9;
/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const JPEG_FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** Markers with no length field (TEM, RSTn), which may appear between segments. */
const JPEG_STANDALONE = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

export function isWellFormedJpeg(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  let sawFrame = false;
  for (let at = JPEG_SOI_BYTES; ;) {
    if (file.u8(at) !== 0xff) return false;
    while (file.u8(at + 1) === 0xff) at++; // fill bytes (§B.1.1.2)
    const marker = file.u8(at + 1);
    if (marker <= 0 || marker === JPEG_EOI) return false;
    if (JPEG_STANDALONE(marker)) {
      at += 2;
      continue;
    }
    const length = file.u16be(at + 2);
    if (length < 2 || !file.has(at + 2, length)) return false;
    if (JPEG_FRAME_MARKERS.has(marker)) sawFrame = true;
    if (marker === JPEG_SOS) return sawFrame && endsWithEoi(bytes, at + 2 + length);
    at += 2 + length;
  }
}

/** An EOI after the first scan's header. Entropy-coded data stuffs every 0xFF (§B.1.1.5), so FF D9 is a real EOI. */
function endsWithEoi(bytes: Uint8Array, scanData: number): boolean {
  for (let at = bytes.length - 2; at >= scanData; at--) {
    if (bytes[at] === 0xff && bytes[at + 1] === JPEG_EOI) return true;
  }
  return false;
}

/* ---------- GIF (GIF89a §17–27): header (6) | logical screen (7) | [colour table] | blocks | trailer 0x3B ---------- */

const GIF_SCREEN_END = 13;
const GIF_IMAGE_DESCRIPTOR_BYTES = 10;
const GIF_IMAGE = 0x2c;
const GIF_EXTENSION = 0x21;
const GIF_TRAILER = 0x3b;

/** Bit 7 of a packed field: a colour table follows, of 2^(n+1) RGB triples where n is bits 0–2. */
function gifColourTableBytes(flags: number): number {
  return flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0;
}

/** The offset after a run of data sub-blocks (size byte, data) ended by a zero size, or -1 if cut. */
function gifSkipSubBlocks(file: Bytes, at: number): number {
  for (let size = file.u8(at); size !== 0; size = file.u8(at)) {
    if (size < 0) return -1;
    at += 1 + size;
  }
  return at + 1;
}

export function isWellFormedGif(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  const screenFlags = file.u8(10);
  if (screenFlags < 0) return false;
  let sawImage = false;
  // Walk the blocks: a file cut inside one is refused. Some encoders omit the trailer;
  // a file that ends on a block boundary after an image is accepted without it.
  for (let at = GIF_SCREEN_END + gifColourTableBytes(screenFlags); at !== file.length;) {
    const block = file.u8(at);
    if (block === GIF_TRAILER) return sawImage;
    if (block === GIF_EXTENSION) {
      at = gifSkipSubBlocks(file, at + 2);
    } else if (block === GIF_IMAGE) {
      const imageFlags = file.u8(at + GIF_IMAGE_DESCRIPTOR_BYTES - 1);
      if (imageFlags < 0) return false;
      // After the descriptor and any local colour table: the LZW minimum code size, then the image data.
      at = gifSkipSubBlocks(file, at + GIF_IMAGE_DESCRIPTOR_BYTES + gifColourTableBytes(imageFlags) + 1);
      sawImage = at >= 0;
    } else {
      return false;
    }
    if (at < 0 || at > file.length) return false;
  }
  return sawImage;
}

/* ---------- WebP (RFC 9649 §2): "RIFF" | size (u32 LE) | "WEBP" | first chunk VP8 / VP8L / VP8X ---------- */

const RIFF_HEADER_BYTES = 12;
const RIFF_CHUNK_HEADER_BYTES = 8;
const VP8L_SIGNATURE = 0x2f;
/** A VP8 key frame: 3-byte frame tag, then the start code 9D 01 2A (RFC 6386 §9.1). */
const VP8_START_CODE = [0x9d, 0x01, 0x2a];

export function isWellFormedWebp(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  const riffSize = file.u32le(4);
  // The RIFF size counts from "WEBP"; a shorter file was cut.
  if (riffSize < 4 + RIFF_CHUNK_HEADER_BYTES || !file.has(0, RIFF_CHUNK_HEADER_BYTES + riffSize)) return false;
  const chunkType = file.ascii(RIFF_HEADER_BYTES, 4);
  const chunkSize = file.u32le(RIFF_HEADER_BYTES + 4);
  const data = RIFF_HEADER_BYTES + RIFF_CHUNK_HEADER_BYTES;
  if (chunkSize < 1 || data + chunkSize > RIFF_CHUNK_HEADER_BYTES + riffSize) return false;
  if (chunkType === 'VP8L') return file.u8(data) === VP8L_SIGNATURE;
  if (chunkType === 'VP8 ') return VP8_START_CODE.every((value, index) => file.u8(data + 3 + index) === value);
  return chunkType === 'VP8X';
}

/* ---------- TIFF (TIFF 6.0 §2): byte order (2) | 42 (2) | IFD offset (4); IFD: count (2) | 12-byte entries | next (4) ---------- */

const TIFF_HEADER_BYTES = 8;
const TIFF_ENTRY_BYTES = 12;

export function isWellFormedTiff(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  const littleEndian = file.u8(0) === 0x49;
  const ifd = littleEndian ? file.u32le(4) : file.u32be(4);
  if (ifd < TIFF_HEADER_BYTES) return false;
  const count = littleEndian ? file.u16le(ifd) : file.u16be(ifd);
  return count >= 1 && file.has(ifd, 2 + count * TIFF_ENTRY_BYTES + 4);
}

/* ---------- BMP: file header (14: "BM", size, reserved, pixel offset) | DIB header | pixels ---------- */

const BMP_FILE_HEADER_BYTES = 14;
/** BITMAPCOREHEADER (OS/2 1.x) has u16 width, height, planes; every later header has i32 width, height, u16 planes. */
const BMP_CORE_HEADER_BYTES = 12;

export function isWellFormedBmp(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  const dib = BMP_FILE_HEADER_BYTES;
  const dibSize = file.u32le(dib);
  if (dibSize < BMP_CORE_HEADER_BYTES || !file.has(dib, dibSize)) return false;
  const pixels = file.u32le(10);
  if (pixels < dib + dibSize || pixels >= file.length) return false;
  const core = dibSize === BMP_CORE_HEADER_BYTES;
  const width = core ? file.u16le(dib + 4) : file.i32le(dib + 4);
  const height = core ? file.u16le(dib + 6) : file.i32le(dib + 8);
  const planes = core ? file.u16le(dib + 8) : file.u16le(dib + 12);
  return width > 0 && height !== 0 && planes === 1;
}

/* ---------- DICOM (PS3.10 §7.1): preamble (128) | "DICM" | file meta elements of group 0002, explicit VR LE ---------- */

const DICOM_META_START = 132;
const DICOM_META_GROUP = 0x0002;
/** VRs whose element has 2 reserved bytes and a u32 length (PS3.5 §7.1.2); the others have a u16 length. */
const DICOM_LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export function isWellFormedDicom(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  const at = DICOM_META_START;
  if (file.u16le(at) !== DICOM_META_GROUP) return false;
  const vr = file.ascii(at + 4, 2);
  if (!/^[A-Z]{2}$/.test(vr)) return false;
  if (DICOM_LONG_VRS.has(vr)) return file.has(at + 12, file.u32le(at + 8));
  return file.has(at + 8, file.u16le(at + 6));
}

/* ---------- PDF (ISO 32000-1 §7.5.2, §7.5.5): "%PDF-M.m" header … "%%EOF" at the end ---------- */

const PDF_HEADER = /^%PDF-\d\.\d/;
/** Readers look for %%EOF in the file's last kilobyte (trailing whitespace or junk is common). */
const PDF_EOF_WINDOW_BYTES = 1024;

export function isWellFormedPdf(bytes: Uint8Array): boolean {
  const file = new Bytes(bytes);
  if (!PDF_HEADER.test(file.ascii(0, Math.min(8, file.length)))) return false;
  const tailStart = Math.max(0, file.length - PDF_EOF_WINDOW_BYTES);
  return file.ascii(tailStart, file.length - tailStart).includes('%%EOF');
}
