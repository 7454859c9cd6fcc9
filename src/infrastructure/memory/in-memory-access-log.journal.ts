import { LedgerAccessEntry } from '../../domain/access-log';
import { ChainName } from '../../domain/chain-name';
import { AccessLogJournal, JournaledAccessEntry } from '../../domain/ports/access-log-journal.port';

/**
 * The access-log journal in process memory, for LEDGER_BACKEND=memory: the ledgers it
 * feeds are lost with the process too, so there is nothing a disk copy could save.
 */
export class InMemoryAccessLogJournal extends AccessLogJournal {
  private readonly entries = new Map<string, JournaledAccessEntry>();
  private nextId = 1;

  async add(chain: ChainName, entry: LedgerAccessEntry): Promise<JournaledAccessEntry> {
    const journaled = { id: String(this.nextId++), chain, entry };
    this.entries.set(journaled.id, journaled);
    return journaled;
  }

  async pending(): Promise<JournaledAccessEntry[]> {
    return [...this.entries.values()].sort((a, b) => a.entry.at.getTime() - b.entry.at.getTime());
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.entries.delete(id);
  }
}
