import {
  MAX_REASON_CHARS,
  MIN_REASON_CHARS,
  normaliseReason,
} from '../../src/interfaces/web/public/emergency-reason.js';

describe('the web page’s emergency reason check', () => {
  it('#12 refuses a reason shorter than 10 characters of text, before anything is sent', () => {
    expect(MIN_REASON_CHARS).toBe(10);
    expect(normaliseReason('too short')).toEqual({
      problem: 'Enter at least 10 characters: why is this emergency access needed?',
    });
    // Spaces and line breaks around and between words do not count towards the 10.
    expect(normaliseReason('  ab \n\n cd   ef  ')).toEqual({
      problem: 'Enter at least 10 characters: why is this emergency access needed?',
    });
    expect(normaliseReason('0123456789')).toEqual({ reason: '0123456789' });
  });

  it('#12 keeps the existing checks: empty, too long, and characters a header cannot carry', () => {
    expect(normaliseReason('   ')).toEqual({ problem: 'Enter the reason for emergency access.' });
    expect(normaliseReason('x'.repeat(MAX_REASON_CHARS + 1)).problem).toBe(
      `Shorten the reason to ${MAX_REASON_CHARS} characters or fewer; it has ${MAX_REASON_CHARS + 1}.`,
    );
    expect(normaliseReason('Unconscious in ED — GP’s line “busy”')).toEqual({
      reason: 'Unconscious in ED - GP\'s line "busy"',
    });
    expect(normaliseReason('Patient unconscious 🚑 now').problem).toBe(
      'The reason cannot include “🚑”. Use Latin letters, digits and ordinary punctuation.',
    );
  });
});
