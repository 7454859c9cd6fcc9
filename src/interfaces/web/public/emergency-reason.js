// @ts-check
/**
 * The emergency (break-glass) reason as it can travel in X-Break-Glass-Reason. No DOM: the
 * unit tests in test/web import this module too.
 */

/** API.md, Access: X-Break-Glass-Reason is 10-500 characters once trimmed. */
export const MIN_REASON_CHARS = 10;
export const MAX_REASON_CHARS = 500;
/** HTTP header values are bytes: a browser refuses to send code points above U+00FF in one. */
const MAX_HEADER_CODE_POINT = 0xff;

/** Typographic characters a keyboard inserts, mapped to ones an HTTP header can carry. */
/** @type {[RegExp, string][]} */
const HEADER_SAFE_REPLACEMENTS = [
  [/[\u2018\u2019\u201A\u201B\u2032]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/\u2026/g, '...'],
  [/[\u00A0\u2007\u202F]/g, ' '],
];

/**
 * One line (headers cannot hold line breaks), curly quotes and dashes made plain, and nothing a
 * header cannot carry; or the sentence that says what is wrong with it.
 * @param {unknown} raw what was typed
 * @returns {{ reason: string, problem?: undefined } | { problem: string, reason?: undefined }}
 */
export function normaliseReason(raw) {
  let reason = String(raw ?? '').normalize('NFC');
  for (const [pattern, replacement] of HEADER_SAFE_REPLACEMENTS) reason = reason.replace(pattern, replacement);
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  reason = reason.replace(/[\s\u0000-\u001F\u007F]+/g, ' ').trim();
  if (!reason) return { problem: 'Enter the reason for emergency access.' };
  if (reason.length < MIN_REASON_CHARS) {
    return { problem: `Enter at least ${MIN_REASON_CHARS} characters: why is this emergency access needed?` };
  }
  if (reason.length > MAX_REASON_CHARS) {
    return { problem: `Shorten the reason to ${MAX_REASON_CHARS} characters or fewer; it has ${reason.length}.` };
  }
  const unsupported = [...new Set(Array.from(reason).filter((c) => (c.codePointAt(0) ?? 0) > MAX_HEADER_CODE_POINT))];
  if (unsupported.length > 0) {
    const shown = unsupported
      .slice(0, 3)
      .map((c) => `“${c}”`)
      .join(', ');
    return { problem: `The reason cannot include ${shown}. Use Latin letters, digits and ordinary punctuation.` };
  }
  return { reason };
}
