import {
  isWellFormedBmp,
  isWellFormedDicom,
  isWellFormedGif,
  isWellFormedJpeg,
  isWellFormedPdf,
  isWellFormedPng,
  isWellFormedTiff,
  isWellFormedWebp,
} from './media-structure';

/**
 * The file formats a record may hold, recognised by their magic bytes and their minimal
 * structure. A client's claimed type is never trusted on its own.
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

interface Format {
  readonly type: MediaType;
  /** How people name the format, for messages. */
  readonly name: string;
  /** The signature: what the file claims to be. */
  readonly magic: (bytes: Uint8Array) => boolean;
  /** The minimal framing of that format (see media-structure.ts). */
  readonly wellFormed: (bytes: Uint8Array) => boolean;
}

const FORMATS: readonly Format[] = [
  {
    type: PNG,
    name: 'PNG',
    magic: (bytes) => startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    wellFormed: isWellFormedPng,
  },
  { type: JPEG, name: 'JPEG', magic: (bytes) => startsWith(bytes, [0xff, 0xd8, 0xff]), wellFormed: isWellFormedJpeg },
  {
    type: GIF,
    name: 'GIF',
    magic: (bytes) => startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a')),
    wellFormed: isWellFormedGif,
  },
  {
    type: WEBP,
    name: 'WebP',
    magic: (bytes) => startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8),
    wellFormed: isWellFormedWebp,
  },
  {
    type: TIFF,
    name: 'TIFF',
    magic: (bytes) => startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]),
    wellFormed: isWellFormedTiff,
  },
  {
    type: BMP,
    name: 'BMP',
    magic: (bytes) => startsWith(bytes, ascii('BM')) && BMP_DIB_HEADER_SIZES.has(u32le(bytes, BMP_FILE_HEADER_BYTES)),
    wellFormed: isWellFormedBmp,
  },
  {
    type: DICOM,
    name: 'DICOM',
    magic: (bytes) => startsWith(bytes, ascii('DICM'), DICOM_PREAMBLE_BYTES),
    wellFormed: isWellFormedDicom,
  },
  { type: PDF, name: 'PDF', magic: (bytes) => startsWith(bytes, ascii('%PDF-')), wellFormed: isWellFormedPdf },
];

export const ACCEPTED_MEDIA_TYPES: readonly MediaType[] = FORMATS.map((format) => format.type);

/** The accepted format the bytes are, by signature and structure; null for anything else, fakes and truncations included. */
export function sniffMediaType(bytes: Uint8Array): MediaType | null {
  const format = FORMATS.find((candidate) => candidate.magic(bytes));
  return format && format.wellFormed(bytes) ? format.type : null;
}

/** Why `sniffMediaType` refused the bytes, for the 415 answer (names no content). */
export function refusalReason(bytes: Uint8Array): string {
  const claimed = FORMATS.find((candidate) => candidate.magic(bytes));
  if (claimed) return `The file starts like a ${claimed.name} file but is truncated or malformed.`;
  const accepted = FORMATS.map((format) => format.name).join(', ');
  return `The file is not one of the accepted formats (${accepted}).`;
}

/** The accepted type with this MIME type, if any. */
export function mediaTypeOf(mime: string): MediaType | null {
  return ACCEPTED_MEDIA_TYPES.find((type) => type.mime === mime) ?? null;
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
