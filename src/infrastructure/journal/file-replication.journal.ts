import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../../domain/bytes';
import { CHAIN_NAMES, ChainName, isChainName } from '../../domain/chain-name';
import { NewLedgerRecord } from '../../domain/emr-record';
import {
  PendingReplica,
  PendingReplicaRef,
  ReplicatedRecordRef,
  ReplicationJournal,
} from '../../domain/ports/replication-journal.port';
import { RecordId } from '../../domain/record-id';
import { appendLineDurably, removeFileDurably, writeFileDurably } from './durable-file';

interface PendingFile {
  readonly version: 1;
  readonly chain: ChainName;
  readonly queuedAt: string;
  readonly recordId: string;
  readonly patientKey: string;
  readonly contentSha256: string;
  readonly sealedHeader: string;
  readonly keyEnvelope: string;
  readonly signature: string;
  readonly signerKeyId: string;
  /** base64 of the content ciphertext (never plaintext: it is sealed before it gets here). */
  readonly content: string;
}

/** `<chain>-<recordId without 0x>.json`: the name alone says which copy is owed. */
const PENDING_NAME = /^([a-z]+)-([0-9a-f]{64})\.json$/;

/**
 * The replication journal on disk under `<dir>`: one fsync'd file per copy a ledger is
 * still owed (`pending/<chain>-<recordId>.json`), and an append-only, fsync'd index of
 * the records written with `both` (`replicated.jsonl`, pseudonyms and record ids only).
 * Listing, counting and per-record lookups use file names only; an entry's content
 * (which can be MiBs of ciphertext) is read by `load` alone.
 */
export class FileReplicationJournal extends ReplicationJournal {
  private readonly pendingDir: string;
  private readonly indexPath: string;

  constructor(dir: string) {
    super();
    this.pendingDir = join(dir, 'pending');
    this.indexPath = join(dir, 'replicated.jsonl');
  }

  async add(replica: PendingReplica): Promise<void> {
    const { record } = replica;
    const file: PendingFile = {
      version: 1,
      chain: replica.chain,
      queuedAt: replica.queuedAt.toISOString(),
      recordId: record.recordId.hex,
      patientKey: bytesToHex(record.patientKey),
      contentSha256: bytesToHex(record.contentSha256),
      sealedHeader: bytesToHex(record.sealedHeader),
      keyEnvelope: bytesToHex(record.keyEnvelope),
      signature: bytesToHex(record.signature),
      signerKeyId: bytesToHex(record.signerKeyId),
      content: Buffer.from(record.content.buffer, record.content.byteOffset, record.content.byteLength).toString(
        'base64',
      ),
    };
    writeFileDurably(this.pathOf(replica.chain, record.recordId), JSON.stringify(file));
  }

  async pendingRefs(): Promise<PendingReplicaRef[]> {
    return this.listPending()
      .map((entry) => ({
        entry,
        queued: statSync(join(this.pendingDir, entry.name), { throwIfNoEntry: false })?.mtimeMs,
      }))
      .filter((item): item is { entry: PendingEntryName; queued: number } => item.queued !== undefined)
      .sort((a, b) => a.queued - b.queued)
      .map(({ entry }) => ({ chain: entry.chain, recordId: entry.recordId }));
  }

  async load(ref: PendingReplicaRef): Promise<PendingReplica | null> {
    const path = this.pathOf(ref.chain, ref.recordId);
    if (!existsSync(path)) return null;
    return parsePending(JSON.parse(readFileSync(path, 'utf8')) as PendingFile);
  }

  async pendingCounts(): Promise<Record<ChainName, number>> {
    const counts = Object.fromEntries(CHAIN_NAMES.map((chain) => [chain, 0])) as Record<ChainName, number>;
    for (const entry of this.listPending()) counts[entry.chain] += 1;
    return counts;
  }

  async pendingChains(recordId: RecordId): Promise<ChainName[]> {
    return CHAIN_NAMES.filter((chain) => existsSync(this.pathOf(chain, recordId)));
  }

  async remove(chain: ChainName, recordId: RecordId): Promise<void> {
    const path = this.pathOf(chain, recordId);
    if (!existsSync(path)) return;
    removeFileDurably(path);
  }

  async noteReplicated(ref: ReplicatedRecordRef): Promise<void> {
    appendLineDurably(
      this.indexPath,
      JSON.stringify({ patientKey: bytesToHex(ref.patientKey), recordId: ref.recordId.hex }),
    );
  }

  async replicated(): Promise<ReplicatedRecordRef[]> {
    if (!existsSync(this.indexPath)) return [];
    const seen = new Set<string>();
    const refs: ReplicatedRecordRef[] = [];
    for (const line of readFileSync(this.indexPath, 'utf8').split('\n')) {
      // A crash mid-append can leave a torn last line: skip what does not parse.
      try {
        const parsed = JSON.parse(line) as { patientKey: string; recordId: string };
        if (seen.has(parsed.recordId)) continue;
        seen.add(parsed.recordId);
        refs.push({ patientKey: hexToBytes(parsed.patientKey), recordId: RecordId.parse(parsed.recordId) });
      } catch {
        continue;
      }
    }
    return refs;
  }

  private pathOf(chain: ChainName, recordId: RecordId): string {
    return join(this.pendingDir, `${chain}-${recordId.hex.slice(2)}.json`);
  }

  /** Entries by name only (a torn temporary file of an interrupted `add` is not one). */
  private listPending(): PendingEntryName[] {
    if (!existsSync(this.pendingDir)) return [];
    return readdirSync(this.pendingDir).flatMap((name) => {
      const match = PENDING_NAME.exec(name);
      if (!match || !isChainName(match[1])) return [];
      return [{ name, chain: match[1], recordId: RecordId.parse(`0x${match[2]}`) }];
    });
  }
}

interface PendingEntryName {
  readonly name: string;
  readonly chain: ChainName;
  readonly recordId: RecordId;
}

function parsePending(file: PendingFile): PendingReplica {
  if (file.version !== 1 || !isChainName(file.chain)) throw new Error('Unreadable replication journal entry.');
  const record: NewLedgerRecord = {
    recordId: RecordId.parse(file.recordId),
    patientKey: hexToBytes(file.patientKey),
    contentSha256: hexToBytes(file.contentSha256),
    sealedHeader: hexToBytes(file.sealedHeader),
    keyEnvelope: hexToBytes(file.keyEnvelope),
    signature: hexToBytes(file.signature),
    signerKeyId: hexToBytes(file.signerKeyId),
    content: new Uint8Array(Buffer.from(file.content, 'base64')),
  };
  return { chain: file.chain, record, queuedAt: new Date(file.queuedAt) };
}
