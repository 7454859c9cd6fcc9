import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessKind, LedgerAccessEntry } from '../../domain/access-log';
import { bytesToHex, hexToBytes } from '../../domain/bytes';
import { ChainName, isChainName } from '../../domain/chain-name';
import { AccessLogJournal, JournaledAccessEntry } from '../../domain/ports/access-log-journal.port';
import { RecordId } from '../../domain/record-id';
import {
  AsyncRemoveSteps,
  NODE_ASYNC_REMOVE_STEPS,
  removeFilesDurablyAsync,
  writeFileDurablyAsync,
} from './durable-file';

/** 128 random bits name an entry's file: the name says nothing about the read. */
const ENTRY_ID_BYTES = 16;
const ENTRY_ID = /^[0-9a-f]{32}$/;
const ENTRY_SUFFIX = '.json';
const ACCESS_KINDS: readonly AccessKind[] = ['own-upload', 'consent', 'emergency'];

/** The ledger form of an entry, nothing more: pseudonyms (HMAC), record id, time, kind, sealed note. */
interface PendingFile {
  readonly version: 1;
  readonly chain: ChainName;
  readonly patientKey: string;
  readonly accessorKey: string;
  readonly recordId: string | null;
  readonly kind: AccessKind;
  readonly at: string;
  /** Sealed to the patient's public key (HPKE): who read and why, unreadable without that key. */
  readonly sealedNote: string;
}

/**
 * The access-log journal on disk under `<dir>`: one fsync'd file per entry a ledger has not
 * confirmed yet (`pending/<random id>.json`, written to a temporary file, fsync'd, renamed,
 * directory fsync'd: writeFileDurablyAsync, off the event loop); a confirmed entry's removal is
 * made durable the same way (unlink, directory fsync). Files that do not parse are left in place
 * for an operator and reported by count only.
 */
export class FileAccessLogJournal extends AccessLogJournal {
  private readonly pendingDir: string;

  constructor(
    dir: string,
    private readonly onUnreadable: (message: string) => void = () => undefined,
    private readonly removeSteps: AsyncRemoveSteps = NODE_ASYNC_REMOVE_STEPS,
  ) {
    super();
    this.pendingDir = join(dir, 'pending');
  }

  async add(chain: ChainName, entry: LedgerAccessEntry): Promise<JournaledAccessEntry> {
    const id = randomBytes(ENTRY_ID_BYTES).toString('hex');
    const file: PendingFile = {
      version: 1,
      chain,
      patientKey: bytesToHex(entry.patientKey),
      accessorKey: bytesToHex(entry.accessorKey),
      recordId: entry.recordId ? entry.recordId.hex : null,
      kind: entry.kind,
      at: entry.at.toISOString(),
      sealedNote: bytesToHex(entry.sealedNote),
    };
    await writeFileDurablyAsync(this.pathOf(id), JSON.stringify(file));
    return { id, chain, entry };
  }

  async pending(): Promise<JournaledAccessEntry[]> {
    if (!existsSync(this.pendingDir)) return [];
    const entries: JournaledAccessEntry[] = [];
    let unreadable = 0;
    // Temporary files of a write cut short are skipped: that read was never served.
    for (const name of readdirSync(this.pendingDir)) {
      const id = name.slice(0, -ENTRY_SUFFIX.length);
      if (!name.endsWith(ENTRY_SUFFIX) || !ENTRY_ID.test(id)) continue;
      try {
        entries.push({
          id,
          ...parsePending(JSON.parse(readFileSync(join(this.pendingDir, name), 'utf8')) as PendingFile),
        });
      } catch {
        unreadable++;
      }
    }
    if (unreadable > 0)
      this.onUnreadable(`${unreadable} access-log journal entries do not parse; left in ${this.pendingDir}.`);
    return entries.sort((a, b) => a.entry.at.getTime() - b.entry.at.getTime() || a.id.localeCompare(b.id));
  }

  async remove(ids: readonly string[]): Promise<void> {
    const known = ids.filter((id) => ENTRY_ID.test(id));
    if (known.length === 0 || !existsSync(this.pendingDir)) return;
    // Unlinks, then one directory fsync for the batch, on the thread pool: a removal lost to a power
    // cut would send entries to their ledger again, and the event loop never waits for the disk.
    await removeFilesDurablyAsync(
      known.map((id) => this.pathOf(id)),
      this.removeSteps,
    );
  }

  private pathOf(id: string): string {
    return join(this.pendingDir, `${id}${ENTRY_SUFFIX}`);
  }
}

function parsePending(file: PendingFile): { chain: ChainName; entry: LedgerAccessEntry } {
  const at = new Date(file.at);
  if (
    file.version !== 1 ||
    !isChainName(file.chain) ||
    !ACCESS_KINDS.includes(file.kind) ||
    Number.isNaN(at.getTime())
  ) {
    throw new Error('Unreadable access-log journal entry.');
  }
  return {
    chain: file.chain,
    entry: {
      patientKey: hexToBytes(file.patientKey),
      accessorKey: hexToBytes(file.accessorKey),
      recordId: file.recordId === null ? null : RecordId.parse(file.recordId),
      kind: file.kind,
      at,
      sealedNote: hexToBytes(file.sealedNote),
    },
  };
}
