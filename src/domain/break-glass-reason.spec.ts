import { MAX_BREAK_GLASS_REASON_CHARS } from './access-log';
import { MIN_BREAK_GLASS_REASON_CHARS, parseBreakGlassReason } from './break-glass-reason';
import { ValidationFailedError } from './errors';

describe('parseBreakGlassReason', () => {
  it('#11.3 keeps a UTF-8 reason as written, controls and bidi overrides out, whitespace collapsed', () => {
    expect(parseBreakGlassReason('  Patient bewusstlos\u0085 — Ü,\t\u202eNotaufnahme  ')).toBe(
      'Patient bewusstlos — Ü, Notaufnahme',
    );
  });

  it('#11.3 accepts the ASCII form the web page sends', () => {
    expect(parseBreakGlassReason('Patient bewusstlos - U')).toBe('Patient bewusstlos - U');
  });

  it('#11.3 needs 10 characters of text: spaces and controls do not count', () => {
    expect(parseBreakGlassReason('a'.repeat(MIN_BREAK_GLASS_REASON_CHARS))).toHaveLength(MIN_BREAK_GLASS_REASON_CHARS);
    for (const short of [
      'x',
      'a'.repeat(MIN_BREAK_GLASS_REASON_CHARS - 1),
      'a b c d e f g h i',
      'coma\u0085\u0085\u0085\u0085\u0085\u0085\u0085',
      '   ',
    ]) {
      expect(() => parseBreakGlassReason(short)).toThrow(ValidationFailedError);
    }
    try {
      parseBreakGlassReason('x');
    } catch (error) {
      expect((error as ValidationFailedError).field).toBe('X-Break-Glass-Reason');
    }
    expect.assertions(7);
  });

  it('#11.3 counts characters, not UTF-16 units, against the maximum', () => {
    const emoji = '🚑'.repeat(MAX_BREAK_GLASS_REASON_CHARS);
    expect(parseBreakGlassReason(emoji)).toBe(emoji);
    expect(() => parseBreakGlassReason(`${emoji}x`)).toThrow(ValidationFailedError);
  });

  it('is null without a reason', () => {
    expect(parseBreakGlassReason(undefined)).toBeNull();
  });
});
