import { BreakGlassLimitedError } from '../../domain/errors';
import { Clock } from '../../domain/ports/clock.port';
import { BREAK_GLASS_WINDOW_MS, BreakGlassBudget } from './break-glass-budget';

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

describe('BreakGlassBudget', () => {
  const MINUTE_MS = 60_000;

  it('#11.3 allows exactly the hourly budget per provider, then refuses with the wait until the oldest expires', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1, 12));
    const budget = new BreakGlassBudget(3, clock);
    budget.spend('er-clinic');
    clock.advance(10 * MINUTE_MS);
    budget.spend('er-clinic');
    budget.spend('er-clinic');
    let refused: unknown;
    try {
      budget.spend('er-clinic');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(BreakGlassLimitedError);
    expect((refused as BreakGlassLimitedError).retryAfterSeconds).toBe(50 * 60);
    expect(() => budget.spend('other-clinic')).not.toThrow();
  });

  it('#11.3 gives the first read back once it is an hour old, and not a millisecond before', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1, 12));
    const budget = new BreakGlassBudget(2, clock);
    budget.spend('er-clinic');
    clock.advance(30 * MINUTE_MS);
    budget.spend('er-clinic');
    clock.advance(30 * MINUTE_MS - 1);
    expect(() => budget.spend('er-clinic')).toThrow(BreakGlassLimitedError);
    clock.advance(1);
    expect(() => budget.spend('er-clinic')).not.toThrow();
    // A refused attempt spends nothing: the second read expires on time, and one more fits.
    expect(() => budget.spend('er-clinic')).toThrow(BreakGlassLimitedError);
    clock.advance(BREAK_GLASS_WINDOW_MS / 2);
    expect(() => budget.spend('er-clinic')).not.toThrow();
  });
});
