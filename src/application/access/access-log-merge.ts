import { AccessLogEntry, AccessNote, LedgerAccessEntry } from '../../domain/access-log';
import { ChainName } from '../../domain/chain-name';

/* How ListAccessLogUseCase (its owner) builds one page from the ledgers' entries: pure functions. */

const SECOND_MS = 1000;

/** One ledger's part of a page: its entries newest first, and whether it holds older ones. */
export interface LedgerStream {
  readonly chain: ChainName;
  readonly entries: (LedgerAccessEntry & { readonly position: number | null })[];
  readonly before: number | null;
  readonly mayHaveMore: boolean;
}

/**
 * Takes up to `limit` entries from the ledgers' streams, newest first by time, each stream in
 * its own order; pending entries not reached are taken too (they have no position to resume
 * from). Per ledger, the next page starts below the last position taken.
 */
export function merge(
  streams: readonly LedgerStream[],
  limit: number,
): {
  taken: { chain: ChainName; entry: LedgerAccessEntry }[];
  next: Partial<Record<ChainName, number | null>> | null;
} {
  const heads = streams.map(() => 0);
  const taken: { chain: ChainName; entry: LedgerAccessEntry }[] = [];
  const takeFrom = (index: number) => {
    taken.push({ chain: streams[index].chain, entry: streams[index].entries[heads[index]] });
    heads[index] += 1;
  };
  while (taken.length < limit) {
    let newest = -1;
    for (const [index, stream] of streams.entries()) {
      const head = stream.entries[heads[index]];
      if (head && (newest < 0 || head.at > streams[newest].entries[heads[newest]].at)) newest = index;
    }
    if (newest < 0) break;
    takeFrom(newest);
  }
  for (const [index, stream] of streams.entries()) {
    while (stream.entries[heads[index]]?.position === null) takeFrom(index);
  }
  const next: Partial<Record<ChainName, number | null>> = {};
  let more = false;
  for (const [index, stream] of streams.entries()) {
    const rest = stream.entries.length - heads[index];
    const last = stream.entries[heads[index] - 1]?.position ?? null;
    const before = last ?? stream.before;
    next[stream.chain] = rest > 0 || (stream.mayHaveMore && before !== null && before > 1) ? before : null;
    more ||= next[stream.chain] !== null;
  }
  return { taken: taken.sort((a, b) => b.entry.at.getTime() - a.entry.at.getTime()), next: more ? next : null };
}

/** A crash while a collapse window was rewritten leaves two copies of it: the larger count stands. */
export function collapseCopies(entries: AccessLogEntry[]): AccessLogEntry[] {
  const kept = new Map<string, AccessLogEntry>();
  const result: AccessLogEntry[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'own-upload' || entry.recordId === null) {
      result.push(entry);
      continue;
    }
    const second = Math.floor(Date.parse(entry.at) / SECOND_MS);
    const key = [entry.chain, entry.accessorId, entry.recordId, second].join('|');
    const other = kept.get(key);
    if (!other) {
      kept.set(key, entry);
      result.push(entry);
    } else if (entry.count > other.count) {
      result[result.indexOf(other)] = entry;
      kept.set(key, entry);
    }
  }
  return result;
}

export function view(
  chain: ChainName,
  entry: Pick<LedgerAccessEntry, 'recordId' | 'kind' | 'at'>,
  note: AccessNote,
): AccessLogEntry {
  const kind = entry.kind;
  return {
    accessorId: note.accessorId,
    accessorRole: note.accessorRole,
    chain,
    recordId: entry.recordId ? entry.recordId.hex : null,
    kind,
    emergency: kind === 'emergency',
    reason: note.reason,
    at: entry.at.toISOString(),
    count: note.count ?? 1,
  };
}
