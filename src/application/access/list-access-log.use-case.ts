import { AccessLogEntry, AccessNote, LedgerAccessEntry } from '../../domain/access-log';
import { bytesToHex, fromUtf8 } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { ValidationFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { AccessLedger } from '../../domain/ports/access-ledger.port';
import { Cipher, KeyPair } from '../../domain/ports/cipher.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal } from '../../domain/principal';
import { decodeSealedNote } from '../../domain/record-codec';
import { AccessLogCursor, decodeAccessLogCursor, encodeAccessLogCursor } from './access-log-cursor';
import { ACCESS_NOTE_AAD, AccessLogWriter } from './access-log-writer';
import { AccessNoteKey } from './access-note-key';
import { collapseCopies, LedgerStream, merge, view } from './access-log-merge';
import { requirePatientSelf } from './consent-view';

export const MAX_ACCESS_LOG_ENTRIES = 100;

export interface ListAccessLogInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly limit?: number;
  readonly cursor?: string;
  /** `emergency`: break-glass reads only. */
  readonly kind?: string;
}

export interface AccessLogPage {
  readonly entries: AccessLogEntry[];
  readonly nextCursor: string | null;
  /** Every emergency read of the patient on every ledger, whatever the page shows. */
  readonly emergencyCount: number;
}

/**
 * Who read the patient's records, newest first, a page at a time across the ledgers. Each
 * ledger is read below its own position (the cursor keeps one per ledger) and the ledgers'
 * entries are merged by time. Entries still in the journal on their way to a ledger are shown
 * on the first page, all of them. Every page carries the count of emergency reads, and
 * `kind=emergency` pages them through the ledgers' own index, so no flood of other reads can
 * push a break-glass read out of view. Notes are sealed to the service's
 * access-note key (and the patient's) and opened here with the former.
 */
export class ListAccessLogUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly noteKey: AccessNoteKey,
    private readonly cipher: Cipher,
    private readonly writer: AccessLogWriter,
  ) {}

  async execute(input: ListAccessLogInput): Promise<AccessLogPage> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const limit = input.limit ?? MAX_ACCESS_LOG_ENTRIES;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACCESS_LOG_ENTRIES) {
      throw new ValidationFailedError(`limit must be an integer from 1 to ${MAX_ACCESS_LOG_ENTRIES}.`, 'limit');
    }
    if (input.kind !== undefined && input.kind !== 'emergency') {
      throw new ValidationFailedError('kind must be emergency (or omitted for every read).', 'kind');
    }
    const emergencyOnly = input.kind === 'emergency';
    const ledgers = this.ledgers.allAccess();
    const cursor =
      input.cursor === undefined
        ? null
        : decodeAccessLogCursor(
            input.cursor,
            ledgers.map((ledger) => ledger.chain),
          );
    if (cursor && cursor.emergencyOnly !== emergencyOnly) {
      throw new ValidationFailedError('cursor belongs to another listing (kind).', 'cursor');
    }
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const keys = this.noteKey.keys;

    const streams: LedgerStream[] = [];
    let emergencyCount = 0;
    for (const ledger of ledgers) {
      streams.push(await this.stream(ledger, patientKey, limit, emergencyOnly, cursor));
      emergencyCount += await this.emergencies(ledger, patientKey);
    }
    const { taken, next } = merge(streams, limit);
    const entries = await Promise.all(
      taken.map(async ({ chain, entry }) => view(chain, entry, await this.openNote(entry, keys))),
    );
    return {
      entries: collapseCopies(entries),
      nextCursor: next ? encodeAccessLogCursor({ emergencyOnly, before: next }) : null,
      emergencyCount,
    };
  }

  private async stream(
    ledger: AccessLedger,
    patientKey: Uint8Array,
    limit: number,
    emergencyOnly: boolean,
    cursor: AccessLogCursor | null,
  ): Promise<LedgerStream> {
    const chain = ledger.chain;
    const before = cursor ? (cursor.before[chain] ?? null) : 0;
    if (before === null) return { chain, entries: [], before: null, mayHaveMore: false };
    // Pending first: an entry confirmed meanwhile then shows up on the ledger rather than nowhere.
    const pending = cursor ? [] : this.pendingOf(chain, patientKey, emergencyOnly);
    const onLedger = await ledger.accessLog(patientKey, { limit, beforePosition: before || undefined, emergencyOnly });
    // Delivery is at least once: the same sealed note twice is one read.
    const seen = new Set<string>();
    const entries = [...pending.map((entry) => ({ ...entry, position: null })), ...onLedger].filter((entry) => {
      const note = bytesToHex(entry.sealedNote);
      if (seen.has(note)) return false;
      seen.add(note);
      return true;
    });
    return {
      chain,
      entries,
      before: onLedger.length > 0 ? onLedger[0].position + 1 : before || null,
      mayHaveMore: onLedger.length === limit,
    };
  }

  /** Emergency reads on this ledger plus those still on their way to it (counted once). */
  private async emergencies(ledger: AccessLedger, patientKey: Uint8Array): Promise<number> {
    const pending = this.pendingOf(ledger.chain, patientKey, true);
    // Read before the count: an entry confirmed in between is then counted twice, never missed.
    const newest =
      pending.length > 0
        ? await ledger.accessLog(patientKey, {
            limit: Math.min(pending.length, MAX_ACCESS_LOG_ENTRIES),
            emergencyOnly: true,
          })
        : [];
    const onLedger = new Set(newest.map((entry) => bytesToHex(entry.sealedNote)));
    const stillPending = pending.filter((entry) => !onLedger.has(bytesToHex(entry.sealedNote))).length;
    return (await ledger.emergencyCount(patientKey)) + stillPending;
  }

  private pendingOf(chain: ChainName, patientKey: Uint8Array, emergencyOnly: boolean): LedgerAccessEntry[] {
    return this.writer
      .pendingFor(chain, patientKey)
      .filter((entry) => !emergencyOnly || entry.kind === 'emergency')
      .sort((a, b) => b.at.getTime() - a.at.getTime());
  }

  private async openNote(entry: LedgerAccessEntry, keys: KeyPair): Promise<AccessNote> {
    try {
      const { keyEnvelope, ciphertext } = decodeSealedNote(entry.sealedNote);
      const dataKey = await this.cipher.unwrap(keyEnvelope, keys, ACCESS_NOTE_AAD);
      const note = JSON.parse(fromUtf8(await this.cipher.open(dataKey, ciphertext, 0, ACCESS_NOTE_AAD))) as AccessNote;
      return {
        accessorId: String(note.accessorId),
        accessorRole: String(note.accessorRole),
        reason: note.reason ?? null,
        count: Number.isSafeInteger(note.count) && Number(note.count) > 1 ? Number(note.count) : 1,
      };
    } catch {
      return { accessorId: 'unknown (note unreadable)', accessorRole: 'unknown', reason: null, count: 1 };
    }
  }
}
