import { ClaimLimitedError } from '../../domain/errors';
import { Clock } from '../../domain/ports/clock.port';
import { ClaimSettings } from './claim-settings';

export const CLAIM_WINDOW_MS = 60 * 60 * 1000;

/**
 * Failed claims per client address in a sliding hour: past CLAIM_ATTEMPTS_PER_HOUR, every claim
 * from the address (right or wrong) is refused until the oldest failure is an hour old, so codes
 * cannot be guessed at speed. Held in process memory: a restart starts afresh, and each instance
 * of the service counts for itself.
 */
export class ClaimAttempts {
  /** Per client address: when each failed claim of the last hour happened, oldest first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly settings: ClaimSettings,
    private readonly clock: Clock,
  ) {}

  /** Throws ClaimLimitedError when the address has used up its failed claims for the hour. */
  assertAllowed(client: string): void {
    const now = this.clock.now().getTime();
    const recent = this.recent(client, now);
    if (recent.length < this.settings.attemptsPerHour) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((recent[0] + CLAIM_WINDOW_MS - now) / 1000));
    throw new ClaimLimitedError(
      `Too many claims with invalid codes from this address in the last hour; retry in ${retryAfterSeconds} seconds.`,
      retryAfterSeconds,
    );
  }

  recordFailure(client: string): void {
    const now = this.clock.now().getTime();
    this.failures.set(client, [...this.recent(client, now), now]);
  }

  private recent(client: string, now: number): number[] {
    const recent = (this.failures.get(client) ?? []).filter((at) => now - at < CLAIM_WINDOW_MS);
    if (recent.length === 0) this.failures.delete(client);
    else this.failures.set(client, recent);
    return recent;
  }
}
