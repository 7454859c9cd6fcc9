import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../../domain/bytes';
import { CHAIN_NAMES, ChainName, isChainName } from '../../domain/chain-name';
import {
  IdempotencyEntry,
  IdempotencyStore,
  ReplicaReceipt,
  UploadReceipt,
} from '../../domain/ports/idempotency-store.port';
import { RecordId } from '../../domain/record-id';
import { syncDirectory, writeFileDurably } from './durable-file';

const FORMAT_VERSION = 2;
/** The key is already SHA-256(caller scope, raw key): its hex is the file name, and reveals neither. */
const KEY_PATTERN = /^[0-9a-f]{64}$/;
const ENTRY_FILE = /^[0-9a-f]{64}\.json$/;
const SHA256_HEX_CHARS = 64;

/**
 * On disk (version 2): record id, chains, what the ledgers published, the request's
 * fingerprint. Never a patient id, a file name, a content type or a provider id.
 */
interface EntryFile {
  readonly version: typeof FORMAT_VERSION;
  readonly fingerprint: string;
  readonly recordId: string;
  readonly chains: string[];
  readonly storedAt: string;
  readonly receipt: {
    readonly chain: string;
    readonly createdAt: string;
    readonly contentSha256: string;
    readonly replicas: Record<string, ReplicaReceipt>;
  } | null;
}

/** Version 1 kept the whole answer, patient id and file name included; read only to migrate it. */
interface LegacyFile {
  readonly fingerprint: string;
  readonly storedAt: string;
  readonly outcome: { readonly target?: unknown; readonly metadata?: { readonly recordId?: unknown } };
}

/** One fsync'd file per key under `dir`. */
export class FileIdempotencyStore extends IdempotencyStore {
  constructor(private readonly dir: string) {
    super();
  }

  async find(key: string): Promise<IdempotencyEntry | null> {
    const path = this.pathOf(key);
    if (!existsSync(path)) return null;
    return readEntry(readFileSync(path, 'utf8'));
  }

  async save(key: string, entry: IdempotencyEntry): Promise<void> {
    writeFileDurably(this.pathOf(key), JSON.stringify(encode(entry)));
  }

  /**
   * Removes expired entries, unreadable ones and temporary files left by an interrupted
   * write (writes in this process are synchronous, so none is in progress now). A version 1
   * entry still in its window is rewritten as a pending marker: a retry then finds its record
   * on the ledgers, and the patient id and file name it held leave the disk.
   */
  async sweep(cutoff: Date): Promise<number> {
    if (!existsSync(this.dir)) return 0;
    let removed = 0;
    let swept = false;
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        rmSync(path, { force: true });
        swept = true;
        continue;
      }
      if (!ENTRY_FILE.test(name)) continue;
      const raw = readFileSync(path, 'utf8');
      const entry = readEntry(raw);
      if (!entry || entry.storedAt.getTime() < cutoff.getTime()) {
        rmSync(path, { force: true });
        removed += 1;
      } else if (isLegacy(raw)) {
        writeFileDurably(path, JSON.stringify(encode(entry)));
      }
    }
    if (removed > 0 || swept) syncDirectory(this.dir);
    return removed;
  }

  private pathOf(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new Error('Idempotency keys are stored by their SHA-256.');
    return join(this.dir, `${key}.json`);
  }
}

function encode(entry: IdempotencyEntry): EntryFile {
  const { receipt } = entry;
  return {
    version: FORMAT_VERSION,
    fingerprint: entry.fingerprint,
    recordId: entry.recordId.hex,
    chains: [...entry.chains],
    storedAt: entry.storedAt.toISOString(),
    receipt: receipt && {
      chain: receipt.chain,
      createdAt: receipt.createdAt.toISOString(),
      contentSha256: bytesToHex(receipt.contentSha256),
      replicas: encodeReplicas(receipt.replicas),
    },
  };
}

/** Field by field, so nothing but these facts can ever reach the file. */
function encodeReplicas(replicas: UploadReceipt['replicas']): Record<string, ReplicaReceipt> {
  const out: Record<string, ReplicaReceipt> = {};
  for (const chain of CHAIN_NAMES) {
    const replica = replicas[chain];
    if (!replica) continue;
    out[chain] =
      replica.status === 'pending'
        ? { status: 'pending' }
        : {
            status: 'committed',
            version: replica.version,
            transactions: [...replica.transactions],
            blockNumber: replica.blockNumber,
          };
  }
  return out;
}

/** The entry a file holds, or null when it cannot be read as one. */
function readEntry(raw: string): IdempotencyEntry | null {
  try {
    const parsed = JSON.parse(raw) as Partial<EntryFile> & Partial<LegacyFile>;
    if (parsed.version === FORMAT_VERSION) return decode(parsed as EntryFile);
    if (parsed.version === undefined && parsed.outcome) return fromLegacy(parsed as LegacyFile);
    return null;
  } catch {
    return null;
  }
}

function isLegacy(raw: string): boolean {
  try {
    return (JSON.parse(raw) as { version?: unknown }).version === undefined;
  } catch {
    return false;
  }
}

function decode(file: EntryFile): IdempotencyEntry | null {
  const storedAt = parseDate(file.storedAt);
  const chains = parseChains(file.chains);
  if (typeof file.fingerprint !== 'string' || !storedAt || !chains) return null;
  const receipt = file.receipt === null ? null : decodeReceipt(file.receipt);
  if (receipt === undefined) return null;
  return { fingerprint: file.fingerprint, recordId: RecordId.parse(file.recordId), chains, receipt, storedAt };
}

function decodeReceipt(raw: NonNullable<EntryFile['receipt']>): UploadReceipt | undefined {
  const createdAt = parseDate(raw.createdAt);
  if (
    !isChainName(raw.chain) ||
    !createdAt ||
    !/^[0-9a-f]+$/.test(raw.contentSha256) ||
    raw.contentSha256.length !== SHA256_HEX_CHARS
  ) {
    return undefined;
  }
  const replicas: UploadReceipt['replicas'] = {};
  for (const chain of CHAIN_NAMES) {
    const replica = raw.replicas?.[chain];
    if (!replica) continue;
    if (replica.status === 'pending') {
      replicas[chain] = { status: 'pending' };
    } else if (
      replica.status === 'committed' &&
      Number.isInteger(replica.version) &&
      Array.isArray(replica.transactions) &&
      replica.transactions.every((hash) => typeof hash === 'string') &&
      (replica.blockNumber === null || Number.isInteger(replica.blockNumber))
    ) {
      replicas[chain] = {
        status: 'committed',
        version: replica.version,
        transactions: replica.transactions,
        blockNumber: replica.blockNumber,
      };
    } else {
      return undefined;
    }
  }
  return { chain: raw.chain, createdAt, contentSha256: hexToBytes(raw.contentSha256), replicas };
}

/** A version 1 answer becomes a pending marker: the ledgers, not this file, then say what was stored. */
function fromLegacy(file: LegacyFile): IdempotencyEntry | null {
  const storedAt = parseDate(file.storedAt);
  const target = file.outcome.target;
  const chains =
    target === 'both' ? [...CHAIN_NAMES] : typeof target === 'string' && isChainName(target) ? [target] : null;
  if (typeof file.fingerprint !== 'string' || !storedAt || !chains) return null;
  return {
    fingerprint: file.fingerprint,
    recordId: RecordId.parse(file.outcome.metadata?.recordId),
    chains,
    receipt: null,
    storedAt,
  };
}

function parseChains(raw: unknown): ChainName[] | null {
  if (!Array.isArray(raw) || raw.length === 0) return null;
  return raw.every((chain) => typeof chain === 'string' && isChainName(chain)) ? (raw as ChainName[]) : null;
}

function parseDate(raw: unknown): Date | null {
  if (typeof raw !== 'string') return null;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? null : date;
}
