import { bytesToHex, utf8 } from '../../domain/bytes';
import { epochAad } from '../../domain/epoch-aad';
import { DecryptionFailedError, InvalidKeyError } from '../../domain/errors';
import { AccessLedger } from '../../domain/ports/access-ledger.port';
import { Cipher, KeyPair } from '../../domain/ports/cipher.port';

/** How many (patient, reader, epoch) answers to remember. */
const EPOCH_KEYS_MAX = 10_000;
const SCALAR_BYTES = 32;
/** Binds the probe below to its one use: nothing is kept of it. */
const PROBE_AAD = utf8('patient-centric-emr/epoch-keys/pair-check');

/**
 * A reader's epoch keys for a patient (issue 14 spec, part B): every epoch whose slots hold one
 * that opens with the reader's own key (an epoch slot is a one-slot v2 envelope of the epoch's
 * private scalar under the epoch aad), as KeyPairs {privateKey: scalar, publicKey}, newest first.
 * Answers are remembered per (patient, reader, epoch): a found key for good, and "no slot" for
 * good once the epoch is past (grants add slots to the current epoch only).
 */
export class EpochKeys {
  private readonly known = new Map<string, KeyPair | null>();
  /** patient/reader -> epoch index -> key: the found ones of `known`, for reads that need no ledger. */
  private readonly found = new Map<string, Map<number, KeyPair>>();

  constructor(private readonly cipher: Cipher) {}

  /** The epoch keys of this patient this reader opened before (newest epoch first), without reading a ledger. */
  remembered(patientKey: Uint8Array, reader: KeyPair): KeyPair[] {
    const byEpoch = this.found.get(`${bytesToHex(patientKey)}/${bytesToHex(reader.publicKey)}`);
    if (!byEpoch) return [];
    return [...byEpoch.entries()].sort(([a], [b]) => b - a).map(([, key]) => key);
  }

  async of(ledger: AccessLedger, patientKey: Uint8Array, reader: KeyPair): Promise<KeyPair[]> {
    const epochs = await ledger.epochs(patientKey);
    const keys: KeyPair[] = [];
    for (const epoch of epochs) {
      const cacheKey = `${bytesToHex(patientKey)}/${bytesToHex(reader.publicKey)}/${epoch.index}`;
      let key = this.known.get(cacheKey);
      if (key === undefined) {
        key = await this.open(epoch.slots, epoch.publicKey, reader, epochAad(patientKey, epoch.index));
        const past = epoch.index < epochs.length - 1;
        if (key !== null || past) this.remember(cacheKey, key);
      }
      if (key) keys.push(key);
    }
    return keys.reverse();
  }

  /** The epoch key from the first slot that opens to the epoch's own scalar, or null. */
  private async open(
    slots: readonly Uint8Array[],
    publicKey: Uint8Array,
    reader: KeyPair,
    aad: Uint8Array,
  ): Promise<KeyPair | null> {
    for (const slot of slots) {
      const opened = await this.cipher.tryUnwrap([slot], reader, aad);
      if (!opened || opened.bytes.length !== SCALAR_BYTES) continue;
      const candidate: KeyPair = { privateKey: Uint8Array.from(opened.bytes), publicKey: Uint8Array.from(publicKey) };
      if (await this.isPair(candidate)) return candidate;
    }
    return null;
  }

  /**
   * True when the scalar is the private half of the epoch's public key: a probe sealed to the
   * public key opens with the pair. A slot holding another scalar (a faulty or hostile browser)
   * would otherwise pass for the epoch's key and open nothing.
   */
  private async isPair(candidate: KeyPair): Promise<boolean> {
    const probe = { bytes: new Uint8Array(SCALAR_BYTES) };
    try {
      const envelope = await this.cipher.sealDataKey(probe, [candidate.publicKey], PROBE_AAD);
      await this.cipher.unwrap(envelope, candidate, PROBE_AAD);
      return true;
    } catch (error) {
      if (error instanceof DecryptionFailedError || error instanceof InvalidKeyError) return false;
      throw error;
    }
  }

  private remember(cacheKey: string, key: KeyPair | null): void {
    if (this.known.size >= EPOCH_KEYS_MAX && !this.known.has(cacheKey)) {
      const oldest = this.known.keys().next().value as string;
      this.known.delete(oldest);
      this.found.get(readerOf(oldest))?.delete(epochOf(oldest));
    }
    this.known.set(cacheKey, key);
    if (key) {
      const reader = readerOf(cacheKey);
      const byEpoch = this.found.get(reader) ?? new Map<number, KeyPair>();
      byEpoch.set(epochOf(cacheKey), key);
      this.found.set(reader, byEpoch);
    }
  }
}

/** Cache keys are `patient/reader/epoch` (hex, hex, decimal). */
function readerOf(cacheKey: string): string {
  return cacheKey.slice(0, cacheKey.lastIndexOf('/'));
}

function epochOf(cacheKey: string): number {
  return Number(cacheKey.slice(cacheKey.lastIndexOf('/') + 1));
}
