import { bytesEqual, bytesToHex, toBase64, toHex0x } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { LedgerRecord } from '../../domain/emr-record';
import { ChainUnavailableError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { Cipher } from '../../domain/ports/cipher.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { patientSigningKeys, Principal } from '../../domain/principal';
import { mayBeRewrapped } from './patient-rewrap';

/** A record as the patient's browser needs it to verify and decrypt it itself (JSON-safe). */
export interface SealedRecord {
  readonly recordId: string;
  readonly patientId: string;
  readonly patientKey: string;
  readonly chain: ChainName;
  readonly version: number;
  readonly createdAt: string;
  readonly transactions: readonly string[];
  readonly blockNumber: number | null;
  readonly contentSha256: string;
  readonly contentLength: number;
  readonly sealedHeader: string;
  readonly keyEnvelope: string;
  /** Envelopes added later for this record (the patient's slot for a record uploaded before they had keys). */
  readonly addedKeyEnvelopes: string[];
  readonly signature: string;
  readonly signer: { kind: 'service' | 'patient' | 'unknown'; keyId: string; publicKey: string | null };
}

/** Builds SealedRecord answers: who signed (the service or the patient) and every envelope added on any ledger. */
export class SealedRecordViews {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly signer: RecordSigner,
    private readonly hasher: Hasher,
    private readonly cipher: Cipher,
  ) {}

  async view(patient: Principal, patientKey: Uint8Array, record: LedgerRecord): Promise<SealedRecord> {
    return {
      recordId: record.recordId.hex,
      patientId: patient.id,
      patientKey: toHex0x(patientKey),
      chain: record.chain,
      version: record.version,
      createdAt: record.createdAt.toISOString(),
      transactions: record.transactions,
      blockNumber: record.blockNumber,
      contentSha256: toHex0x(record.contentSha256),
      contentLength: record.contentLength,
      sealedHeader: toBase64(record.sealedHeader),
      keyEnvelope: toBase64(record.keyEnvelope),
      addedKeyEnvelopes: (await this.addedEnvelopes(patientKey, record)).map(toBase64),
      signature: toHex0x(record.signature),
      signer: this.signerOf(patient, record),
    };
  }

  private signerOf(patient: Principal, record: LedgerRecord): SealedRecord['signer'] {
    const keyId = toHex0x(record.signerKeyId);
    const trusted = this.signer.trustedPublicKey(record.signerKeyId);
    if (trusted) return { kind: 'service', keyId, publicKey: toHex0x(trusted) };
    // The patient's current key or one they replaced (issue 14): the record names which.
    const own = patientSigningKeys(patient.keys).find((key) => bytesEqual(this.hasher.sha256(key), record.signerKeyId));
    if (own) return { kind: 'patient', keyId, publicKey: toHex0x(own) };
    return { kind: 'unknown', keyId, publicKey: null };
  }

  /** Added envelopes open the same data key on either ledger (the aad does not name the ledger): gathered from all that answer. */
  private async addedEnvelopes(patientKey: Uint8Array, record: LedgerRecord): Promise<Uint8Array[]> {
    // Other records have nothing added: a listing need not ask each ledger about each of them.
    if (!mayBeRewrapped(this.cipher, record.keyEnvelope)) return [];
    const seen = new Map<string, Uint8Array>();
    for (const ledger of this.ledgers.allAccess()) {
      try {
        for (const envelope of await ledger.recordKeysOf(patientKey, record.recordId)) {
          seen.set(bytesToHex(envelope), envelope);
        }
      } catch (error) {
        if (!(error instanceof ChainUnavailableError)) throw error;
      }
    }
    return [...seen.values()];
  }
}
