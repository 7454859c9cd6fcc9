import { bytesEqual } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { DuplicateRecordError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PendingReplica, ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { RecordId } from '../../domain/record-id';

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
/** How often an empty journal is looked at again (uploads add to it while a ledger is down). */
const IDLE_DELAY_MS = 5_000;

export interface CatchUpReport {
  readonly written: number;
  readonly remaining: number;
}

/**
 * Writes the copies the journal owes to ledgers that were down, retrying with backoff
 * until they are written. A copy the ledger already holds (an earlier attempt that did
 * land) counts as written once its digest matches.
 */
export class ReplicationWorker {
  private timer: NodeJS.Timeout | null = null;
  private delay = MIN_DELAY_MS;
  private running: Promise<CatchUpReport> | null = null;
  private stopped = false;

  constructor(
    private readonly ledgers: Ledgers,
    private readonly journal: ReplicationJournal,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One pass over the journal. */
  catchUp(): Promise<CatchUpReport> {
    if (!this.running) this.running = this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** Looks at this record's entries only: a status lookup never reads other records' ciphertext. */
  pendingFor(recordId: RecordId): Promise<ChainName[]> {
    return this.journal.pendingChains(recordId);
  }

  /** Entries are loaded one at a time: during an outage the journal can hold many MiB. */
  private async pass(): Promise<CatchUpReport> {
    let written = 0;
    let remaining = 0;
    let unreadable = 0;
    for (const ref of await this.journal.pendingRefs()) {
      let replica: PendingReplica | null;
      try {
        replica = await this.journal.load(ref);
      } catch {
        // Left in place for an operator; one bad entry does not hold up the others.
        unreadable += 1;
        remaining += 1;
        continue;
      }
      if (!replica) continue; // written and removed meanwhile
      if (await this.write(replica)) {
        await this.journal.remove(ref.chain, ref.recordId);
        written += 1;
      } else {
        remaining += 1;
      }
    }
    if (unreadable > 0)
      this.log(`${unreadable} replication journal entr${unreadable === 1 ? 'y' : 'ies'} could not be read.`);
    if (written > 0)
      this.log(`Replicated ${written} pending record cop${written === 1 ? 'y' : 'ies'}; ${remaining} still pending.`);
    return { written, remaining };
  }

  private async write(replica: PendingReplica): Promise<boolean> {
    const repository = this.ledgers.get(replica.chain);
    try {
      await repository.append(replica.record);
      return true;
    } catch (error) {
      if (error instanceof DuplicateRecordError) {
        const existing = await repository
          .findById(replica.record.patientKey, replica.record.recordId)
          .catch(() => null);
        return existing !== null && bytesEqual(existing.contentSha256, replica.record.contentSha256);
      }
      return false;
    }
  }

  private schedule(delay: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.catchUp().then(
        (report) => {
          this.delay = report.remaining > 0 ? Math.min(this.delay * 2, MAX_DELAY_MS) : MIN_DELAY_MS;
          this.schedule(report.remaining > 0 ? this.delay : IDLE_DELAY_MS);
        },
        () => this.schedule(MAX_DELAY_MS),
      );
    }, delay);
    this.timer.unref?.();
  }
}
