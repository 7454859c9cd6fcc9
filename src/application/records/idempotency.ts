import { bytesToHex, concatBytes, lengthPrefixed, utf8 } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { IdempotencyConflictError, ValidationFailedError } from '../../domain/errors';
import { Clock } from '../../domain/ports/clock.port';
import { Hasher } from '../../domain/ports/hasher.port';
import {
  IDEMPOTENCY_WINDOW_MS,
  IdempotencyEntry,
  IdempotencyStore,
  UploadReceipt,
} from '../../domain/ports/idempotency-store.port';
import { RecordId } from '../../domain/record-id';

const MAX_KEY_CHARS = 200;
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/** The request as idempotency sees it. */
export interface IdempotentRequest {
  /** Digest over the fields that make two requests "the same". */
  readonly fingerprint: string;
  /** The record id this request would get if it is the first under its key. */
  readonly recordId: RecordId;
  readonly chains: readonly ChainName[];
}

/** How an upload is written, found again and answered again. */
export interface IdempotentUpload<T> {
  /** Writes the record under `recordId`: a first attempt, or a retry of one that committed nowhere. */
  write(recordId: RecordId): Promise<T>;
  /** The answer of an earlier attempt, rebuilt from the ledgers; null when no ledger holds the record. */
  recover(recordId: RecordId): Promise<T | null>;
  /** The answer of a completed attempt, rebuilt from its receipt. */
  replay(recordId: RecordId, receipt: UploadReceipt): T;
  /** What is kept of an answer. */
  receipt(result: T): UploadReceipt;
}

/**
 * Idempotency-Key handling: the first request under a key runs; a retry with the same
 * request gets the same answer and the same record; a different request under the same
 * key is a conflict. Concurrent requests under one key are serialised in this process.
 *
 * A ledger write can commit after its deadline has passed (the caller got 503). So before
 * the first ledger write, a pending marker naming the record id is made durable under the
 * key; a retry that finds it looks that id up on the ledgers and, if it committed anywhere,
 * answers for that record instead of writing a second one. If it committed nowhere the
 * upload runs again under the same id: a ledger refuses a duplicate id, so at most one
 * record with it can ever exist per ledger.
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
    return bytesToHex(
      this.hasher.sha256(concatBytes(...fields.map((f) => lengthPrefixed(typeof f === 'string' ? utf8(f) : f)))),
    );
  }

  async run<T>(
    rawKey: string | undefined,
    scope: string,
    request: IdempotentRequest,
    upload: IdempotentUpload<T>,
  ): Promise<T> {
    if (rawKey === undefined) return upload.write(request.recordId);
    if (rawKey.length === 0 || rawKey.length > MAX_KEY_CHARS || !KEY_PATTERN.test(rawKey)) {
      throw new ValidationFailedError(
        `Idempotency-Key must be 1-${MAX_KEY_CHARS} visible ASCII characters.`,
        'Idempotency-Key',
      );
    }
    // Keys are per caller: two clients choosing the same key never see each other's outcome.
    // Only this digest is stored, so neither the raw key nor the caller can be read back from it.
    const key = bytesToHex(this.hasher.sha256(utf8(`${scope}\n${rawKey}`)));
    while (this.inFlight.has(key)) await this.inFlight.get(key)!.catch(() => undefined);
    const attempt = this.attempt(key, request, upload);
    this.inFlight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async attempt<T>(key: string, request: IdempotentRequest, upload: IdempotentUpload<T>): Promise<T> {
    const earlier = await this.live(key);
    if (earlier && earlier.fingerprint !== request.fingerprint) {
      throw new IdempotencyConflictError('This Idempotency-Key was already used for a different request.');
    }
    if (earlier?.receipt) return upload.replay(earlier.recordId, earlier.receipt);

    let entry: IdempotencyEntry;
    let result: T;
    if (earlier) {
      entry = earlier;
      result = (await upload.recover(earlier.recordId)) ?? (await upload.write(earlier.recordId));
    } else {
      entry = {
        fingerprint: request.fingerprint,
        recordId: request.recordId,
        chains: request.chains,
        receipt: null,
        storedAt: this.clock.now(),
      };
      await this.store.save(key, entry);
      result = await upload.write(request.recordId);
    }
    await this.store.save(key, { ...entry, receipt: upload.receipt(result) });
    return result;
  }

  /** The entry under `key` while its window lasts; an older one is as good as gone. */
  private async live(key: string): Promise<IdempotencyEntry | null> {
    const entry = await this.store.find(key);
    if (!entry) return null;
    return this.clock.now().getTime() - entry.storedAt.getTime() <= IDEMPOTENCY_WINDOW_MS ? entry : null;
  }
}
