import { MAX_BREAK_GLASS_REASON_CHARS } from './access-log';
import { ValidationFailedError } from './errors';

/** A reason must say something: "x" or "emergency" is not an account of why the glass was broken. */
export const MIN_BREAK_GLASS_REASON_CHARS = 10;
export const BREAK_GLASS_FIELD = 'X-Break-Glass-Reason';

/** C0, DEL and C1 controls, and the bidi overrides and isolates that can make a reason display as another. */
const CONTROLS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]+/gu;
const WHITESPACE = /\s+/gu;

/**
 * The reason a provider gives for an emergency read, as the patient will read it: controls
 * become spaces, runs of whitespace one space, and the ends are trimmed. It must then hold at
 * least MIN_BREAK_GLASS_REASON_CHARS characters other than spaces and at most
 * MAX_BREAK_GLASS_REASON_CHARS characters in all (code points, not UTF-16 units).
 * Null when no reason was given.
 */
export function parseBreakGlassReason(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const reason = raw.replace(CONTROLS, ' ').replace(WHITESPACE, ' ').trim();
  const text = [...reason.replace(WHITESPACE, '')].length;
  if (text < MIN_BREAK_GLASS_REASON_CHARS || [...reason].length > MAX_BREAK_GLASS_REASON_CHARS) {
    throw new ValidationFailedError(
      `${BREAK_GLASS_FIELD} must give the reason in at least ${MIN_BREAK_GLASS_REASON_CHARS} characters ` +
        `(not counting spaces and control characters) and at most ${MAX_BREAK_GLASS_REASON_CHARS}.`,
      BREAK_GLASS_FIELD,
    );
  }
  return reason;
}
