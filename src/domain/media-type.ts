/**
 * The file formats a record may hold, recognised by their magic bytes. A client's
 * claimed type is never trusted on its own.
 */
export interface MediaType {
  readonly mime: string;
  readonly extension: string;
}

/** DICOM Part 10 files start with a 128-byte preamble followed by "DICM" (PS3.10 §7.1). */
const DICOM_PREAMBLE_BYTES = 128;
/** BMP: a 14-byte BITMAPFILEHEADER ('BM', u32 file size, 2 × u16 reserved, u32 pixel offset), then the DIB header. */
const BMP_FILE_HEADER_BYTES = 14;
/** The DIB header opens with its own size (u32 LE); these are the sizes of the header versions that exist. */
const BMP_DIB_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

const PNG: MediaType = { mime: 'image/png', extension: 'png' };
const JPEG: MediaType = { mime: 'image/jpeg', extension: 'jpg' };
const GIF: MediaType = { mime: 'image/gif', extension: 'gif' };
const WEBP: MediaType = { mime: 'image/webp', extension: 'webp' };
const TIFF: MediaType = { mime: 'image/tiff', extension: 'tiff' };
const BMP: MediaType = { mime: 'image/bmp', extension: 'bmp' };
const DICOM: MediaType = { mime: 'application/dicom', extension: 'dcm' };
const PDF: MediaType = { mime: 'application/pdf', extension: 'pdf' };

export const ACCEPTED_MEDIA_TYPES: readonly MediaType[] = [PNG, JPEG, GIF, WEBP, TIFF, BMP, DICOM, PDF];

/** Names clients commonly send for the same formats. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/x-ms-bmp': 'image/bmp',
  'image/x-bmp': 'image/bmp',
  'image/tif': 'image/tiff',
  'application/x-pdf': 'application/pdf',
  'application/dicom+binary': 'application/dicom',
};

/** Claimed types that say nothing about the content, so they never conflict with a sniffed one. */
const NON_COMMITTAL = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(text: string): number[] {
  return [...text].map((ch) => ch.charCodeAt(0));
}

/** The little-endian u32 at `offset`, or -1 past the end. */
function u32le(bytes: Uint8Array, offset: number): number {
  if (bytes.length < offset + 4) return -1;
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16)) + bytes[offset + 3] * 2 ** 24;
}

export function sniffMediaType(bytes: Uint8Array): MediaType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return PNG;
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return JPEG;
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return GIF;
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return WEBP;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return TIFF;
  if (startsWith(bytes, ascii('BM')) && BMP_DIB_HEADER_SIZES.has(u32le(bytes, BMP_FILE_HEADER_BYTES))) return BMP;
  if (startsWith(bytes, ascii('DICM'), DICOM_PREAMBLE_BYTES)) return DICOM;
  if (startsWith(bytes, ascii('%PDF-'))) return PDF;
  return null;
}

/** Lower-cased type without parameters, with common aliases folded. */
export function normaliseClaimedType(claimed: string | undefined): string {
  const base = (claimed ?? '').split(';')[0].trim().toLowerCase();
  return ALIASES[base] ?? base;
}

export function claimAgrees(claimed: string | undefined, sniffed: MediaType): boolean {
  const normalised = normaliseClaimedType(claimed);
  return NON_COMMITTAL.has(normalised) || normalised === sniffed.mime;
}
