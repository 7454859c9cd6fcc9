import { LedgerAccessEntry } from '../access-log';
import { ChainName } from '../chain-name';

/** An access-log entry owed to a ledger, as the journal holds it. */
export interface JournaledAccessEntry {
  /** Assigned by the journal; names the entry for `remove`. Carries no meaning. */
  readonly id: string;
  readonly chain: ChainName;
  /** Already in its ledger form: pseudonyms, record id, time, kind and the note sealed to the patient. */
  readonly entry: LedgerAccessEntry;
}

/**
 * Durable memory of access-log entries not yet confirmed by their ledger. `add` resolves
 * only once the entry is on stable storage (fsync'd), so a read can be served after it
 * and still reach the patient's access log after a crash. It holds exactly what the
 * ledger will hold, never a patient id, a reader id or a reason in the clear.
 */
export abstract class AccessLogJournal {
  abstract add(chain: ChainName, entry: LedgerAccessEntry): Promise<JournaledAccessEntry>;

  /** Every entry added and not removed (a previous run's included), oldest first. */
  abstract pending(): Promise<JournaledAccessEntry[]>;

  /** Forgets entries their ledger has confirmed; unknown ids are ignored. */
  abstract remove(ids: readonly string[]): Promise<void>;
}
