import { AccessKind, AccessNote, LedgerAccessEntry } from '../../domain/access-log';
import { bytesEqual, bytesToHex, utf8 } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { Ledgers } from '../../domain/ledgers';
import { AccessLogJournal, JournaledAccessEntry } from '../../domain/ports/access-log-journal.port';
import { Cipher } from '../../domain/ports/cipher.port';
import { encodeSealedNote } from '../../domain/record-codec';
import { RecordId } from '../../domain/record-id';

export interface AccessEvent {
  readonly chain: ChainName;
  readonly patientKey: Uint8Array;
  /** Whom the note is sealed to: the service's access-note key (it lists the log) and the patient's key once registered. */
  readonly noteRecipients: readonly Uint8Array[];
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
 * Own-record reads by one reader of one record within this long of the first are one entry
 * with a count, so a burst of reloads cannot flood the patient's log. Consent and emergency
 * reads are never collapsed.
 */
export const COLLAPSE_WINDOW_MS = 60_000;

/** An open collapse window: its one journal entry, rewritten with count + 1 on each read. */
interface ReadWindow {
  readonly first: AccessEvent;
  item: JournaledAccessEntry;
  count: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * Writes access-log entries to the ledgers without a ledger round-trip on the read path.
 * `record` seals the note to the patient and puts the entry in the durable journal (a local
 * fsync), and resolves once a crash can no longer lose it; the read is served after that.
 * Entries go to their ledger in batches shortly after, retried with backoff while a ledger
 * is down, and leave the journal only once the ledger has confirmed them (at least once: a
 * crash between confirmation and removal appends an entry twice, and listings drop the
 * copy). `resume` picks up what a previous run left. Entries not yet on a ledger are listed
 * too (pendingFor), so a patient sees a read at once.
 *
 * A repeated own-record read inside COLLAPSE_WINDOW_MS is journaled as the window's entry
 * sealed again with count + 1 (added, then the older copy removed: a crash in between leaves
 * two copies of one window, and listings keep the larger count), so it too is durable before
 * the read is served. A window's entry stays in the journal until the window closes: when its
 * time is up, when a later read (by the Clock, through the events' times) is past it, or on
 * flush().
 */
export class AccessLogWriter {
  /** Per ledger, the journal's entries in the order they go out; `drain` removes what a ledger confirmed. */
  private readonly queue = new Map<ChainName, JournaledAccessEntry[]>();
  private timer: NodeJS.Timeout | null = null;
  private retryDelay = FLUSH_DELAY_MS;
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** Open windows by chain, patient, reader and record. */
  private readonly windows = new Map<string, ReadWindow>();
  /** Journal ids of entries held back while their window is open. */
  private readonly held = new Set<string>();
  /** Per window key, the record() in progress: reads of one window are counted one at a time. */
  private readonly windowTurns = new Map<string, Promise<void>>();

  constructor(
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly journal: AccessLogJournal,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** Resolves once the entry is journaled; rejects if it could not be (then the read must not be served). */
  async record(event: AccessEvent): Promise<void> {
    this.closeWindowsEndedBy(event.at);
    if (event.kind !== 'own-upload' || event.recordId === null) {
      this.enqueue(await this.journaled(event, 1));
      this.schedule(FLUSH_DELAY_MS);
      return;
    }
    const key = windowKey(event);
    const previous = this.windowTurns.get(key) ?? Promise.resolve();
    const turn = previous.then(() => this.recordInWindow(key, event));
    const settled = turn.catch(() => undefined);
    this.windowTurns.set(key, settled);
    void settled.then(() => {
      if (this.windowTurns.get(key) === settled) this.windowTurns.delete(key);
    });
    return turn;
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

  /**
   * Writes everything queued, open windows closed first; resolves when the queue is empty or a
   * ledger refused (then it retries later).
   */
  async flush(): Promise<void> {
    for (const key of [...this.windows.keys()]) this.closeWindow(key);
    // A drain already under way may have passed a ledger before the latest entries were queued for it.
    if (this.flushing) await this.flushing;
    return this.flushDue();
  }

  /** Writes everything queued but the entries of open windows. */
  private async flushDue(): Promise<void> {
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
    for (const window of this.windows.values()) clearTimeout(window.timer);
  }

  private async recordInWindow(key: string, event: AccessEvent): Promise<void> {
    const open = this.windows.get(key);
    if (!open || !this.held.has(open.item.id)) {
      if (open) this.closeWindow(key);
      const item = await this.journaled(event, 1);
      this.enqueue(item);
      this.held.add(item.id);
      const timer = setTimeout(() => this.closeWindow(key), COLLAPSE_WINDOW_MS);
      timer.unref?.();
      this.windows.set(key, { first: event, item, count: 1, timer });
      return;
    }
    const replacement = await this.journaled(open.first, open.count + 1);
    // Held entries are never sent, so the window's entry is still queued: swapped in place.
    const list = this.queue.get(replacement.chain) ?? [];
    list[list.indexOf(open.item)] = replacement;
    this.held.delete(open.item.id);
    this.held.add(replacement.id);
    const superseded = open.item;
    open.item = replacement;
    open.count += 1;
    try {
      await this.journal.remove([superseded.id]);
    } catch (error) {
      // Both copies reach the ledger; listings keep the one with the larger count.
      this.onError(`A superseded access-log journal entry could not be removed (${errorName(error)}).`);
    }
  }

  /** The event sealed and durably journaled; rejects (and the read must not be served) if it could not be. */
  private async journaled(event: AccessEvent, count: number): Promise<JournaledAccessEntry> {
    try {
      return await this.journal.add(event.chain, await this.seal(event, count));
    } catch (error) {
      this.onError(`Access log entry could not be journaled (${errorName(error)}); the read is refused.`);
      throw error;
    }
  }

  private closeWindowsEndedBy(at: Date): void {
    for (const [key, window] of this.windows) {
      if (at.getTime() - window.first.at.getTime() >= COLLAPSE_WINDOW_MS) this.closeWindow(key);
    }
  }

  private closeWindow(key: string): void {
    const window = this.windows.get(key);
    if (!window) return;
    clearTimeout(window.timer);
    this.windows.delete(key);
    this.held.delete(window.item.id);
    this.schedule(FLUSH_DELAY_MS);
  }

  private enqueue(item: JournaledAccessEntry): void {
    const list = this.queue.get(item.chain) ?? [];
    list.push(item);
    this.queue.set(item.chain, list);
  }

  private async drain(): Promise<void> {
    let failed = false;
    for (const [chain, list] of this.queue) {
      while (!this.closed) {
        const batch = list.filter((item) => !this.held.has(item.id)).slice(0, MAX_BATCH);
        if (batch.length === 0) break;
        try {
          await this.ledgers.access(chain).appendAccessLog(batch.map((item) => item.entry));
        } catch (error) {
          failed = true;
          this.onError(
            `Access log write to ${chain} failed (${errorName(error)}); ${list.length} entries kept in the journal, will retry.`,
          );
          break;
        }
        const sent = new Set(batch);
        list.splice(0, list.length, ...list.filter((item) => !sent.has(item)));
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
      void this.flushDue();
    }, delay);
    this.timer.unref?.();
  }

  private async seal(event: AccessEvent, count: number): Promise<LedgerAccessEntry> {
    // The count travels sealed with the note: the ledger learns nothing about read frequency.
    const note: AccessNote = count > 1 ? { ...event.note, count } : event.note;
    const { parts, keyEnvelope } = await this.cipher.seal(
      [utf8(JSON.stringify(note))],
      [...event.noteRecipients],
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

function windowKey(event: AccessEvent): string {
  return [event.chain, bytesToHex(event.patientKey), bytesToHex(event.accessorKey), event.recordId?.hex].join('|');
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'error';
}

export { NOTE_AAD as ACCESS_NOTE_AAD };
