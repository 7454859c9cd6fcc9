import { mediaTypeOf } from './media-type';

/** The longest name kept, in code points (the common file-system limit is 255 units). */
export const MAX_FILE_NAME_CODE_POINTS = 255;
/** Up to this many code points after the last dot count as an extension kept through a cut. */
const MAX_KEPT_EXTENSION_CODE_POINTS = 16;
/** Used when the content type is not an accepted one (only a foreign or damaged record). */
const UNKNOWN_EXTENSION = 'bin';

/**
 * Removed from names:
 * - C0 controls, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F);
 * - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the implicit
 *   marks (U+200E, U+200F, U+061C): "invoice\u202Egnp.exe" must not display as "invoiceexe.png";
 * - line and paragraph separators (U+2028, U+2029) and the BOM (U+FEFF);
 * - double quotes, which some clients mishandle in Content-Disposition.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const UNWANTED = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"]/g;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function fallbackFileName(extension: string): string {
  return `record.${extension}`;
}

function extensionOf(contentType: string): string {
  return mediaTypeOf(contentType)?.extension ?? UNKNOWN_EXTENSION;
}

/**
 * The name a record is stored under: the base name only (no path), well-formed text without
 * control, bidi or separator characters, at most MAX_FILE_NAME_CODE_POINTS code points (cut by
 * code point, keeping a short extension), or `record.<extension>` when nothing usable is left.
 */
export function cleanFileName(raw: string | undefined, extension: string): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = truncate(base.replace(LONE_SURROGATE, '').replace(UNWANTED, '').trim());
  return cleaned.length > 0 && cleaned !== '.' && cleaned !== '..' ? cleaned : fallbackFileName(extension);
}

/**
 * The name shown for a record already on a ledger (metadata, listings, Content-Disposition).
 * Ledgers are append-only and may hold names older code stored unclean (a lone surrogate from a
 * cut emoji, bidi controls): they are cleaned again, so every read stays answerable.
 */
export function displayFileName(stored: string, contentType: string): string {
  return cleanFileName(stored, extensionOf(contentType));
}

/** The generic name for a record of this type (`record.pdf`), when its own cannot be used. */
export function genericFileName(contentType: string): string {
  return fallbackFileName(extensionOf(contentType));
}

function truncate(name: string): string {
  const codePoints = [...name];
  if (codePoints.length <= MAX_FILE_NAME_CODE_POINTS) return name;
  const dot = codePoints.lastIndexOf('.');
  const extension = dot > 0 ? codePoints.slice(dot) : [];
  const kept = extension.length <= MAX_KEPT_EXTENSION_CODE_POINTS ? extension : [];
  const stem = codePoints
    .slice(0, MAX_FILE_NAME_CODE_POINTS - kept.length)
    .join('')
    .trimEnd();
  return stem + kept.join('');
}
