import { BreakGlassLimitedError } from '../../domain/errors';
import { Clock } from '../../domain/ports/clock.port';

export const BREAK_GLASS_WINDOW_MS = 60 * 60 * 1000;

/**
 * How many emergency (break-glass) reads a provider may make in any sliding hour, apart from
 * the per-minute request limit. Each request that is granted emergency access on a ledger
 * spends one, whether or not it then finds a record: spending before anything is read keeps
 * concurrent requests from overshooting. Held in process memory: a restart starts afresh,
 * and each instance of the service counts for itself.
 */
export class BreakGlassBudget {
  /** Per provider: when each emergency read of the last hour began, oldest first. */
  private readonly spent = new Map<string, number[]>();

  constructor(
    private readonly perHour: number,
    private readonly clock: Clock,
  ) {}

  /** Spends one emergency read of the provider's, or throws BreakGlassLimitedError when none is left. */
  spend(providerId: string): void {
    const now = this.clock.now().getTime();
    const recent = (this.spent.get(providerId) ?? []).filter((at) => now - at < BREAK_GLASS_WINDOW_MS);
    if (recent.length >= this.perHour) {
      this.spent.set(providerId, recent);
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0] + BREAK_GLASS_WINDOW_MS - now) / 1000));
      throw new BreakGlassLimitedError(
        `This provider has made ${this.perHour} emergency reads in the last hour, the most allowed; ` +
          `ask the patient for consent, or retry in ${retryAfterSeconds} seconds.`,
        retryAfterSeconds,
      );
    }
    recent.push(now);
    this.spent.set(providerId, recent);
  }
}
