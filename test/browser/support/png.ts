import * as zlib from 'node:zlib';

/** PNG file signature (ISO/IEC 15948 §5.2). */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const GRAYSCALE_COLOUR_TYPE = 0;
const BIT_DEPTH_8 = 8;
const FILTER_NONE = 0;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309) as PNG uses it; zlib.crc32 where Node has it (≥ 20.15), else a table. */
function crc32(bytes: Buffer): number {
  const native = (zlib as { crc32?: (data: Buffer) => number }).crc32;
  if (native) return native(bytes) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Chunk layout: length (u32 BE) | type (4 ASCII) | data | CRC-32 over type + data. */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

export interface ScanOptions {
  width: number;
  height: number;
  /** Changes the picture so two versions differ. */
  seed: number;
}

/**
 * A valid 8-bit grayscale PNG that looks a little like a chest radiograph, stored with
 * deflate level 0 so its size is predictable (≈ width × height bytes) and large enough
 * for upload progress to be observable.
 */
export function scanPng({ width, height, seed }: ScanOptions): Buffer {
  let state = (seed * 2654435761) >>> 0 || 1;
  const noise = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) & 0x0f;
  };
  // One scanline is drawn per 4 rows and reused (with fresh noise): fast even for 10 MiB images.
  const raw = new Uint8Array((width + 1) * height);
  const line = new Uint8Array(width);
  const cx = width / 2;
  const cy = height / 2;
  for (let y = 0; y < height; y += 1) {
    if (y % 4 === 0) {
      const ny = (y - cy) / (height * 0.42);
      for (let x = 0; x < width; x += 1) {
        const nx = (x - cx) / (width * 0.4);
        const body = Math.max(0, 1 - nx * nx - ny * ny);
        const lung = Math.abs(Math.abs(nx) - 0.42) < 0.3 && Math.abs(ny + 0.05) < 0.62 ? 0.45 : 1;
        const ribs = 0.85 + 0.15 * Math.sin((y / height) * 40 + Math.abs(nx) * 6 + seed);
        const spine = Math.abs(nx) < 0.07 ? 1.25 : 1;
        line[x] = Math.min(255, Math.round(24 + 190 * Math.sqrt(body) * lung * ribs * spine));
      }
    }
    const row = y * (width + 1);
    raw[row] = FILTER_NONE;
    for (let x = 0; x < width; x += 1) raw[row + 1 + x] = line[x] ^ noise();
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = BIT_DEPTH_8;
  header[9] = GRAYSCALE_COLOUR_TYPE;
  // bytes 10-12: compression 0, filter method 0, interlace 0
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 0 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A minimal one-page PDF 1.4 with a line of text; xref offsets computed, so readers accept it. */
export function letterPdf(text: string): Buffer {
  const stream = `BT /F1 18 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  body += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
