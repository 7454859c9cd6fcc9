import { ClaimLimitedError } from '../../domain/errors';
import { Clock } from '../../domain/ports/clock.port';
import { CLAIM_WINDOW_MS, ClaimAttempts } from './claim-attempts';
import { ClaimSettings } from './claim-settings';

class ManualClock extends Clock {
  constructor(private time: number) {
    super();
  }
  now(): Date {
    return new Date(this.time);
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

describe('ClaimAttempts', () => {
  it('#13 allows the hourly number of failures per address, then refuses until the oldest is an hour old', () => {
    const clock = new ManualClock(Date.parse('2026-12-03T10:00:00.000Z'));
    const attempts = new ClaimAttempts(new ClaimSettings(168, 3), clock);
    for (let i = 0; i < 3; i++) {
      expect(() => attempts.assertAllowed('10.0.0.1')).not.toThrow();
      attempts.recordFailure('10.0.0.1');
      clock.advance(60_000);
    }
    let refused: unknown;
    try {
      attempts.assertAllowed('10.0.0.1');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ClaimLimitedError);
    expect((refused as ClaimLimitedError).retryAfterSeconds).toBe((CLAIM_WINDOW_MS - 3 * 60_000) / 1000);
    expect((refused as ClaimLimitedError).message).not.toContain('10.0.0.1');
    // Another address is not held back.
    expect(() => attempts.assertAllowed('10.0.0.2')).not.toThrow();
    // The window slides: once the first failure is an hour old, one more attempt is allowed.
    clock.advance(CLAIM_WINDOW_MS - 3 * 60_000);
    expect(() => attempts.assertAllowed('10.0.0.1')).not.toThrow();
    attempts.recordFailure('10.0.0.1');
    expect(() => attempts.assertAllowed('10.0.0.1')).toThrow(ClaimLimitedError);
  });
});
