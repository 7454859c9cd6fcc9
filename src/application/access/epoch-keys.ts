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

  constructor(private readonly cipher: Cipher) {}

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
      this.known.delete(this.known.keys().next().value as string);
    }
    this.known.set(cacheKey, key);
  }
}
