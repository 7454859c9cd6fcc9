// @ts-check
/** Labels and formatting shared by the cards: plain functions of their input, no DOM. */

/** @type {Record<string, string>} */
export const LEDGER_LABELS = {
  supchain: 'SUPchain',
  medchain: 'MEDchain',
  both: 'SUPchain and MEDchain',
  any: 'either ledger',
};

/** @type {Record<string, string>} */
const TYPE_LABELS = {
  'image/png': 'PNG image',
  'image/jpeg': 'JPEG image',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
  'image/bmp': 'BMP image',
  'image/tiff': 'TIFF image',
  'application/dicom': 'DICOM image',
  'application/pdf': 'PDF document',
};

export const ACCEPTED_FORMATS = 'PNG, JPEG, GIF, WebP, TIFF, BMP, DICOM or PDF';

/** @param {unknown} chain */
export function ledgerLabel(chain) {
  return LEDGER_LABELS[String(chain ?? '').toLowerCase()] ?? String(chain ?? '');
}

/** @param {unknown} contentType */
export function typeLabel(contentType) {
  const base = baseType(contentType);
  return TYPE_LABELS[base] ?? (base || 'File');
}

/** @param {unknown} contentType "image/png; charset=x" → "image/png" */
export function baseType(contentType) {
  return String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/**
 * @param {string} iso
 * @param {{ seconds?: boolean }} [options]
 */
export function formatDate(iso, { seconds = false } = {}) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short' });
}

/** "0x1a2b…9f8e": enough of a record id to tell two apart; the full id is in the title. @param {unknown} hex */
export function shortId(hex) {
  const text = String(hex ?? '');
  return text.length > 14 ? `${text.slice(0, 8)}…${text.slice(-4)}` : text;
}

/** @param {string | null} header a Content-Disposition value */
export function fileNameFromDisposition(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through to the plain form */
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? plain[1].replace(/\\(.)/g, '$1').trim() : null;
}

export function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
