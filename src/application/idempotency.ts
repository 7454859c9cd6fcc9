import { bytesToHex, concatBytes, lengthPrefixed, utf8 } from '../domain/bytes';
import { IdempotencyConflictError, ValidationFailedError } from '../domain/errors';
import { Hasher } from '../domain/ports/hasher.port';
import { IdempotencyStore } from '../domain/ports/idempotency-store.port';
import { Clock } from '../domain/ports/clock.port';

const MAX_KEY_CHARS = 200;
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Idempotency-Key handling: the first request under a key runs; a retry with the same
 * request gets the stored outcome; a different request under the same key is a
 * conflict. Concurrent requests under one key are serialised in this process.
 */
export class Idempotency {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly hasher: Hasher,
    private readonly clock: Clock,
  ) {}

  /** Digest over the fields that make two requests "the same". */
  fingerprint(fields: (string | Uint8Array)[]): string {
    return bytesToHex(this.hasher.sha256(concatBytes(...fields.map((f) => lengthPrefixed(typeof f === 'string' ? utf8(f) : f)))));
  }

  async run<T>(rawKey: string | undefined, scope: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    if (rawKey === undefined) return work();
    if (rawKey.length === 0 || rawKey.length > MAX_KEY_CHARS || !KEY_PATTERN.test(rawKey)) {
      throw new ValidationFailedError(`Idempotency-Key must be 1-${MAX_KEY_CHARS} visible ASCII characters.`, 'Idempotency-Key');
    }
    // Keys are per caller: two clients choosing the same key never see each other's outcome.
    const key = bytesToHex(this.hasher.sha256(utf8(`${scope}\n${rawKey}`)));
    while (this.inFlight.has(key)) await this.inFlight.get(key)!.catch(() => undefined);
    const attempt = this.attempt(key, fingerprint, work);
    this.inFlight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async attempt<T>(key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const stored = await this.store.find(key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        throw new IdempotencyConflictError('This Idempotency-Key was already used for a different request.');
      }
      return stored.outcome as T;
    }
    const outcome = await work();
    await this.store.save(key, { fingerprint, outcome, storedAt: this.clock.now() });
    return outcome;
  }
}
