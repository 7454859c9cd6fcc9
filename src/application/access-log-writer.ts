import { AccessKind, AccessNote, LedgerAccessEntry } from '../domain/access-log';
import { bytesEqual, utf8 } from '../domain/bytes';
import { ChainName } from '../domain/chain-name';
import { Ledgers } from '../domain/ledgers';
import { AccessLogJournal, JournaledAccessEntry } from '../domain/ports/access-log-journal.port';
import { Cipher } from '../domain/ports/cipher.port';
import { encodeSealedNote } from '../domain/record-codec';
import { RecordId } from '../domain/record-id';

export interface AccessEvent {
  readonly chain: ChainName;
  readonly patientKey: Uint8Array;
  /** The patient's public key: the note is sealed to it. */
  readonly patientPublicKey: Uint8Array;
  readonly accessorKey: Uint8Array;
  readonly note: AccessNote;
  readonly recordId: RecordId | null;
  readonly kind: AccessKind;
  readonly at: Date;
}

const NOTE_AAD = utf8('patient-centric-emr/access-note/v1');
const FLUSH_DELAY_MS = 20;
const MAX_RETRY_DELAY_MS = 30_000;
const MAX_BATCH = 50;
/** How long a graceful shutdown waits for the ledgers; what is left stays in the journal. */
export const SHUTDOWN_FLUSH_MS = 5_000;

/**
 * Writes access-log entries to the ledgers without a ledger round-trip on the read path.
 * `record` seals the note to the patient and puts the entry in the durable journal (a local
 * fsync), and resolves once a crash can no longer lose it; the read is served after that.
 * Entries go to their ledger in batches shortly after, retried with backoff while a ledger
 * is down, and leave the journal only once the ledger has confirmed them (at least once: a
 * crash between confirmation and removal appends an entry twice, and listings drop the
 * copy). `resume` picks up what a previous run left. Entries not yet on a ledger are listed
 * too (pendingFor), so a patient sees a read at once.
 */
export class AccessLogWriter {
  /** Per ledger, the journal's entries in the order they go out; only `drain` removes (from the front). */
  private readonly queue = new Map<ChainName, JournaledAccessEntry[]>();
  private timer: NodeJS.Timeout | null = null;
  private retryDelay = FLUSH_DELAY_MS;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly journal: AccessLogJournal,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** Resolves once the entry is journaled; rejects if it could not be (then the read must not be served). */
  async record(event: AccessEvent): Promise<void> {
    let journaled: JournaledAccessEntry;
    try {
      journaled = await this.journal.add(event.chain, await this.seal(event));
    } catch (error) {
      this.onError(`Access log entry could not be journaled (${errorName(error)}); the read is refused.`);
      throw error;
    }
    this.enqueue(journaled);
    this.schedule(FLUSH_DELAY_MS);
  }

  /** Takes up the entries a previous run left in the journal; how many there were. */
  async resume(): Promise<number> {
    const queued = new Set([...this.queue.values()].flat().map((item) => item.id));
    const left = (await this.journal.pending()).filter((item) => !queued.has(item.id));
    for (const item of left) this.enqueue(item);
    if (left.length > 0) this.schedule(FLUSH_DELAY_MS);
    return left.length;
  }

  /** Sealed entries of the patient on this ledger that the ledger has not confirmed yet. */
  pendingFor(chain: ChainName, patientKey: Uint8Array): LedgerAccessEntry[] {
    return (this.queue.get(chain) ?? [])
      .map((item) => item.entry)
      .filter((entry) => bytesEqual(entry.patientKey, patientKey));
  }

  /** Writes everything queued; resolves when the queue is empty or a ledger refused (then it retries later). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Graceful shutdown: flushes for at most `timeoutMs`, then stops; the rest stays journaled for the next start. */
  async close(timeoutMs = SHUTDOWN_FLUSH_MS): Promise<void> {
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.flush(), new Promise<void>((resolve) => (deadline = setTimeout(resolve, timeoutMs)))]);
    } finally {
      clearTimeout(deadline);
      this.closed = true;
      this.stop();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private enqueue(item: JournaledAccessEntry): void {
    const list = this.queue.get(item.chain) ?? [];
    list.push(item);
    this.queue.set(item.chain, list);
  }

  private async drain(): Promise<void> {
    let failed = false;
    for (const [chain, list] of this.queue) {
      while (list.length > 0 && !this.closed) {
        const batch = list.slice(0, MAX_BATCH);
        try {
          await this.ledgers.access(chain).appendAccessLog(batch.map((item) => item.entry));
        } catch (error) {
          failed = true;
          this.onError(
            `Access log write to ${chain} failed (${errorName(error)}); ${list.length} entries kept in the journal, will retry.`,
          );
          break;
        }
        list.splice(0, batch.length);
        try {
          await this.journal.remove(batch.map((item) => item.id));
        } catch (error) {
          // Already on the ledger: the worst case is the same entries appended again after a restart.
          this.onError(
            `Access log entries confirmed by ${chain} could not be removed from the journal (${errorName(error)}).`,
          );
        }
      }
    }
    if (failed) {
      this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_DELAY_MS);
      this.schedule(this.retryDelay);
    } else {
      this.retryDelay = FLUSH_DELAY_MS;
    }
  }

  private schedule(delay: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
    this.timer.unref?.();
  }

  private async seal(event: AccessEvent): Promise<LedgerAccessEntry> {
    const { parts, keyEnvelope } = await this.cipher.seal(
      [utf8(JSON.stringify(event.note))],
      [event.patientPublicKey],
      NOTE_AAD,
    );
    return {
      patientKey: event.patientKey,
      accessorKey: event.accessorKey,
      recordId: event.recordId,
      kind: event.kind,
      at: event.at,
      sealedNote: encodeSealedNote(keyEnvelope, parts[0]),
    };
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'error';
}

export { NOTE_AAD as ACCESS_NOTE_AAD };
