/** What an idempotent request answered, kept so a retry gets the same answer. */
export interface StoredOutcome {
  /** Digest of the request that produced it: another request under the same key is a conflict. */
  readonly fingerprint: string;
  readonly outcome: unknown;
  readonly storedAt: Date;
}

export abstract class IdempotencyStore {
  abstract find(key: string): Promise<StoredOutcome | null>;

  abstract save(key: string, outcome: StoredOutcome): Promise<void>;
}
