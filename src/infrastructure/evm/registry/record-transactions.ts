import { getAddress, JsonRpcProvider, toQuantity } from 'ethers';
import { LedgerRecord } from '../../../domain/emr-record';

/** Blocks searched back from a record's commit first; doubled while chunks are missing. */
const FIRST_LOOKBACK_BLOCKS = 1_024;
/** Upper bound on the searches for one page, so a pruned or odd node cannot loop a read. */
const MAX_SEARCHES = 12;
/** 32-byte topic: the address sits in its last 20 bytes (40 hex characters). */
const TOPIC_ADDRESS_HEX_START = 26;

interface RegistryLog {
  readonly topics: string[];
  readonly transactionHash: string;
  readonly blockNumber: string;
  readonly logIndex: string;
}

export interface RegistryEvents {
  readonly registryAddress: string;
  readonly chunkStoredTopic: string;
  readonly recordStoredTopic: string;
}

/**
 * The transactions that wrote each record, read back from the registry's events: those whose
 * ChunkStored events announce one of the record's chunks (an abandoned attempt's chunks are not
 * the record's), then the one whose RecordStored event committed it, in block order. The same
 * list the upload answer gave from its receipts, so list and metadata agree with it.
 */
export async function withTransactions(
  provider: JsonRpcProvider,
  events: RegistryEvents,
  records: readonly LedgerRecord[],
): Promise<LedgerRecord[]> {
  const committed = records.filter((record) => record.blockNumber !== null);
  if (committed.length === 0) return [...records];
  const ids = committed.map((record) => record.recordId.hex);
  const toBlock = Math.max(...committed.map((record) => record.blockNumber as number));
  const oldestCommit = Math.min(...committed.map((record) => record.blockNumber as number));
  const wanted = new Set(committed.flatMap((record) => record.contentLocation.map((chunk) => getAddress(chunk))));
  let logs: RegistryLog[] = [];
  let lookback = FIRST_LOOKBACK_BLOCKS;
  for (let search = 0; search < MAX_SEARCHES; search++) {
    const fromBlock = Math.max(0, oldestCommit - lookback);
    logs = (await provider.send('eth_getLogs', [
      {
        address: events.registryAddress,
        fromBlock: toQuantity(fromBlock),
        toBlock: toQuantity(toBlock),
        topics: [[events.chunkStoredTopic, events.recordStoredTopic], ids],
      },
    ])) as RegistryLog[];
    const found = new Set(chunkLogs(logs, events).map((log) => chunkAddress(log)));
    if (fromBlock === 0 || [...wanted].every((chunk) => found.has(chunk))) break;
    lookback *= 2;
  }
  const ordered = [...logs].sort(
    (a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || Number(BigInt(a.logIndex) - BigInt(b.logIndex)),
  );
  return records.map((record) => {
    if (record.blockNumber === null) return record;
    const id = record.recordId.hex.toLowerCase();
    const chunks = new Set(record.contentLocation.map((chunk) => getAddress(chunk)));
    const hashes: string[] = [];
    for (const log of ordered) {
      if (log.topics[1]?.toLowerCase() !== id) continue;
      const isChunk = log.topics[0]?.toLowerCase() === events.chunkStoredTopic.toLowerCase();
      const ours = isChunk ? chunks.has(chunkAddress(log)) : Number(BigInt(log.blockNumber)) === record.blockNumber;
      if (ours && !hashes.includes(log.transactionHash)) hashes.push(log.transactionHash);
    }
    return { ...record, transactions: hashes };
  });
}

function chunkLogs(logs: readonly RegistryLog[], events: RegistryEvents): RegistryLog[] {
  return logs.filter((log) => log.topics[0]?.toLowerCase() === events.chunkStoredTopic.toLowerCase());
}

/** ChunkStored(bytes32 indexed recordId, address indexed writer, address indexed chunk, …): topic 3. */
function chunkAddress(log: RegistryLog): string {
  return getAddress(`0x${log.topics[3].slice(TOPIC_ADDRESS_HEX_START)}`);
}
