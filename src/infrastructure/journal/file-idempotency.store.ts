import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdempotencyStore, StoredOutcome } from '../../domain/ports/idempotency-store.port';
import { writeFileDurably } from './durable-file';

/** How long a retry under the same key gets the stored answer. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** One fsync'd file per key (the key is already a hash, safe as a file name). */
export class FileIdempotencyStore extends IdempotencyStore {
  constructor(
    private readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
  }

  async find(key: string): Promise<StoredOutcome | null> {
    const path = this.pathOf(key);
    if (!existsSync(path)) return null;
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { fingerprint: string; outcome: unknown; storedAt: string };
    const storedAt = new Date(stored.storedAt);
    if (this.now().getTime() - storedAt.getTime() > IDEMPOTENCY_TTL_MS) return null;
    return { fingerprint: stored.fingerprint, outcome: stored.outcome, storedAt };
  }

  async save(key: string, outcome: StoredOutcome): Promise<void> {
    writeFileDurably(this.pathOf(key), JSON.stringify({ ...outcome, storedAt: outcome.storedAt.toISOString() }));
  }

  private pathOf(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error('Idempotency keys are stored by their SHA-256.');
    return join(this.dir, `${key}.json`);
  }
}
