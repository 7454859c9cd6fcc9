import { AccessKind, AccessNote, LedgerAccessEntry } from '../domain/access-log';
import { utf8 } from '../domain/bytes';
import { ChainName } from '../domain/chain-name';
import { Ledgers } from '../domain/ledgers';
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

/**
 * Writes access-log entries to the ledgers off the read path: a read enqueues and
 * returns; entries are sealed and appended in batches shortly after, retried with
 * backoff while a ledger is down. Entries not yet on a ledger are still listed
 * (pendingFor), so a patient sees a read at once.
 */
export class AccessLogWriter {
  private readonly queue = new Map<ChainName, { event: AccessEvent; entry: Promise<LedgerAccessEntry> }[]>();
  private timer: NodeJS.Timeout | null = null;
  private retryDelay = FLUSH_DELAY_MS;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  record(event: AccessEvent): void {
    const list = this.queue.get(event.chain) ?? [];
    list.push({ event, entry: this.seal(event) });
    this.queue.set(event.chain, list);
    this.schedule(FLUSH_DELAY_MS);
  }

  pendingFor(chain: ChainName, patientKey: Uint8Array): AccessEvent[] {
    const hex = Buffer.from(patientKey).toString('hex');
    return (this.queue.get(chain) ?? [])
      .map((item) => item.event)
      .filter((event) => Buffer.from(event.patientKey).toString('hex') === hex);
  }

  /** Writes everything queued; resolves when the queue is empty or a ledger refused (then it retries later). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async drain(): Promise<void> {
    let failed = false;
    for (const [chain, list] of this.queue) {
      while (list.length > 0) {
        const batch = list.slice(0, MAX_BATCH);
        try {
          const entries = await Promise.all(batch.map((item) => item.entry));
          await this.ledgers.access(chain).appendAccessLog(entries);
          list.splice(0, batch.length);
        } catch (error) {
          failed = true;
          this.onError(`Access log write to ${chain} failed (${error instanceof Error ? error.name : 'error'}); will retry.`);
          break;
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
    if (this.timer) return;
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

export { NOTE_AAD as ACCESS_NOTE_AAD };
