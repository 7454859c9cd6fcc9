import { AccessLogEntry, AccessNote, LedgerAccessEntry } from '../domain/access-log';
import { bytesToHex, fromUtf8 } from '../domain/bytes';
import { ChainName } from '../domain/chain-name';
import { ValidationFailedError } from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { PatientId } from '../domain/patient-id';
import { Cipher, KeyPair } from '../domain/ports/cipher.port';
import { KeyVault } from '../domain/ports/key-vault.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { Principal, principalRef } from '../domain/principal';
import { decodeSealedNote } from '../domain/record-codec';
import { ACCESS_NOTE_AAD, AccessLogWriter } from './access-log-writer';
import { requirePatientSelf } from './consent-view';

export const MAX_ACCESS_LOG_ENTRIES = 100;

/**
 * Who read the patient's records, newest first, across the ledgers (entries still in the
 * journal on their way to a ledger included). Each entry's note is sealed to the patient
 * and opened here with the patient's key.
 */
export class ListAccessLogUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly keyVault: KeyVault,
    private readonly cipher: Cipher,
    private readonly writer: AccessLogWriter,
  ) {}

  async execute(input: { actor: Principal; patientId: string; limit?: number }): Promise<AccessLogEntry[]> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const limit = input.limit ?? MAX_ACCESS_LOG_ENTRIES;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACCESS_LOG_ENTRIES) {
      throw new ValidationFailedError(`limit must be an integer from 1 to ${MAX_ACCESS_LOG_ENTRIES}.`, 'limit');
    }
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const keys = await this.keyVault.keyPair(principalRef('patient', patientId.value));
    if (!keys) return [];

    const entries: AccessLogEntry[] = [];
    for (const ledger of this.ledgers.allAccess()) {
      // Pending first: an entry confirmed meanwhile then shows up on the ledger rather than nowhere.
      const pending = this.writer.pendingFor(ledger.chain, patientKey);
      const onLedger = await ledger.accessLog(patientKey, { limit });
      // Delivery is at least once: the same sealed note twice is one read.
      const seen = new Set<string>();
      for (const entry of [...pending, ...onLedger]) {
        const note = bytesToHex(entry.sealedNote);
        if (seen.has(note)) continue;
        seen.add(note);
        entries.push(view(ledger.chain, entry, await this.openNote(entry, keys)));
      }
    }
    return entries.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
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
      };
    } catch {
      return { accessorId: 'unknown (note unreadable)', accessorRole: 'unknown', reason: null };
    }
  }
}

function view(
  chain: ChainName,
  entry: Pick<LedgerAccessEntry, 'recordId' | 'kind' | 'at'>,
  note: AccessNote,
): AccessLogEntry {
  return {
    accessorId: note.accessorId,
    accessorRole: note.accessorRole,
    chain,
    recordId: entry.recordId ? entry.recordId.hex : null,
    kind: entry.kind,
    emergency: entry.kind === 'emergency',
    reason: note.reason,
    at: entry.at.toISOString(),
  };
}
