import { bytesToHex } from '../../domain/bytes';
import { CHAIN_NAMES, ChainName } from '../../domain/chain-name';
import { LedgerRecord } from '../../domain/emr-record';
import { ChainUnavailableError, DecryptionFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { RecordKeyEntry } from '../../domain/ports/access-ledger.port';
import { Cipher } from '../../domain/ports/cipher.port';
import { Principal } from '../../domain/principal';
import { recordAad } from '../../domain/record-codec';
import { RecordCustodians } from '../access/record-custodians';

const PAGE = 100;
/** Records found to need nothing, remembered so a patient's listings do not try provider keys on them again. */
const SETTLED_MAX = 50_000;

/**
 * Gives a patient's key a slot in the records a provider uploaded before the patient registered
 * keys (those are sealed to their uploader alone). The service opens the data key through the
 * uploader's slot — it is the custodian of provider keys — and seals it to the patient's key in
 * an added key envelope on the record's ledger (AccessLedger.addRecordKeys); the record itself is
 * never rewritten. A record needs this when its own envelope has one slot, nothing was added for
 * it yet, and a provider key the service keeps opens it (a patient's own upload sealed to
 * nobody else has one slot too, but no provider key opens it).
 *
 * Run for all records at registration, and again for each page the patient lists, so a ledger
 * that was down then, or an upload that raced the registration, is caught up later.
 */
export class PatientRewrap {
  private readonly settled = new Set<string>();

  constructor(
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly custodians: RecordCustodians,
  ) {}

  /** Every record of the patient on every ledger; ledgers that do not answer are left for later. */
  async rewrapAll(
    patient: Principal,
    patientKey: Uint8Array,
  ): Promise<{ rewrapped: number; unreachable: ChainName[] }> {
    let rewrapped = 0;
    const unreachable: ChainName[] = [];
    for (const chain of CHAIN_NAMES) {
      try {
        const repository = this.ledgers.get(chain);
        let beforeVersion: number | undefined;
        for (;;) {
          const records = await repository.list(patientKey, { limit: PAGE, beforeVersion });
          rewrapped += await this.rewrap(patient, patientKey, chain, records);
          const oldest = records[records.length - 1];
          if (records.length < PAGE || oldest.version <= 1) break;
          beforeVersion = oldest.version;
        }
      } catch (error) {
        if (!(error instanceof ChainUnavailableError)) throw error;
        unreachable.push(chain);
      }
    }
    return { rewrapped, unreachable };
  }

  /** These records (of one ledger), in one ledger write; how many got a slot. */
  async rewrap(
    patient: Principal,
    patientKey: Uint8Array,
    chain: ChainName,
    records: readonly LedgerRecord[],
  ): Promise<number> {
    const patientPublicKey = patient.keys?.encryptionPublicKey;
    if (!patientPublicKey) return 0;
    const access = this.ledgers.access(chain);
    const entries: RecordKeyEntry[] = [];
    for (const record of records) {
      const settledKey = `${chain}:${bytesToHex(record.recordId.bytes)}`;
      if (this.settled.has(settledKey) || !mayBeRewrapped(this.cipher, record.keyEnvelope)) continue;
      const aad = recordAad(patientKey, record.recordId);
      if ((await access.recordKeysOf(patientKey, record.recordId)).length === 0) {
        const dataKey = (await this.custodians.find(patient, record, aad))?.dataKey;
        if (dataKey) {
          const keyEnvelope = await this.cipher.sealDataKey(dataKey, [patientPublicKey], aad);
          entries.push({ patientKey, recordId: record.recordId, keyEnvelope });
          continue;
        }
      }
      this.remember(settledKey);
    }
    if (entries.length === 0) return 0;
    await access.addRecordKeys(entries);
    for (const entry of entries) this.remember(`${chain}:${bytesToHex(entry.recordId.bytes)}`);
    return entries.length;
  }

  private remember(key: string): void {
    if (this.settled.size >= SETTLED_MAX) this.settled.delete(this.settled.values().next().value as string);
    this.settled.add(key);
  }
}

/**
 * Only a record whose own envelope has a single slot (a provider's upload made before the patient
 * had keys) is ever re-wrapped, so only such a record can have added envelopes.
 */
export function mayBeRewrapped(cipher: Cipher, keyEnvelope: Uint8Array): boolean {
  try {
    return cipher.describeEnvelope(keyEnvelope).slots === 1;
  } catch (error) {
    if (error instanceof DecryptionFailedError) return false;
    throw error;
  }
}
