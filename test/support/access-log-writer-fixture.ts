import { AccessNote, LedgerAccessEntry } from '../../src/domain/access-log';
import { fromUtf8 } from '../../src/domain/bytes';
import { ChainUnavailableError } from '../../src/domain/errors';
import { KeyPair } from '../../src/domain/ports/cipher.port';
import { decodeSealedNote } from '../../src/domain/record-codec';
import { HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { InMemoryAccessLedger } from '../../src/infrastructure/memory/in-memory-access.ledger';
import { ACCESS_NOTE_AAD } from '../../src/application/access/access-log-writer';

/** Shared by the AccessLogWriter integration specs (test/integration/access/access-log-writer*.spec.ts). */

/** A ledger that can be taken down, or made to hang, like a dead RPC. */
export class FlakyAccessLedger extends InMemoryAccessLedger {
  reachable = true;
  hang = false;
  /** While set, writes wait for it: a ledger that is slow to confirm. */
  gate: Promise<void> | null = null;
  readonly batches: number[] = [];

  override async appendAccessLog(entries: readonly LedgerAccessEntry[]): Promise<void> {
    if (this.hang) return new Promise(() => undefined);
    if (this.gate) await this.gate;
    if (!this.reachable) throw new ChainUnavailableError('Ledger supchain is unreachable.');
    this.batches.push(entries.length);
    return super.appendAccessLog(entries);
  }
}

/** The cipher the writers under test seal notes with, and openNote opens them with. */
export const cipher = new HpkeP256Cipher();
export const REASON = 'unconscious in the emergency department';

/** Polls `condition` until it holds: the writer drains on its own schedule. */
export async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An entry's sealed note, opened with the patient's keys. */
export async function openNote(entry: LedgerAccessEntry, keys: KeyPair): Promise<AccessNote> {
  const { keyEnvelope, ciphertext } = decodeSealedNote(entry.sealedNote);
  const dataKey = await cipher.unwrap(keyEnvelope, keys, ACCESS_NOTE_AAD);
  return JSON.parse(fromUtf8(await cipher.open(dataKey, ciphertext, 0, ACCESS_NOTE_AAD))) as AccessNote;
}
