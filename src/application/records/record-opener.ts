import { bytesEqual } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { LedgerRecord, RecordHeader } from '../../domain/emr-record';
import { DomainError, IntegrityCheckFailedError } from '../../domain/errors';
import { Cipher, DataKey, KeyPair } from '../../domain/ports/cipher.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { decodeHeader, recordAad, recordSigningPayload } from '../../domain/record-codec';

/** Part indices under a record's data key: the header and the file bytes are sealed separately. */
export const HEADER_PART = 0;
export const CONTENT_PART = 1;

export interface OpenedHeader {
  readonly header: RecordHeader;
  readonly dataKey: DataKey;
}

/**
 * Verifies and decrypts what a ledger returned. Nothing leaves here unverified:
 * the signature (bound to the ledger read from and the patient asked for) before
 * any decryption, the content digest before the content AEAD. Every failure is an
 * IntegrityCheckFailedError, whatever broke.
 */
export class RecordOpener {
  constructor(
    private readonly cipher: Cipher,
    private readonly signer: RecordSigner,
    private readonly hasher: Hasher,
  ) {}

  /** `keys`: a recipient of the record (the patient, or the provider it is sealed to). */
  async openHeader(
    chain: ChainName,
    patientKey: Uint8Array,
    record: LedgerRecord,
    keys: KeyPair,
  ): Promise<OpenedHeader> {
    const payload = recordSigningPayload({
      chain,
      patientKey,
      recordId: record.recordId,
      contentSha256: record.contentSha256,
      sealedHeader: record.sealedHeader,
    });
    if (!(await this.signer.verify(payload, record.signature, record.signerKeyId))) {
      throw new IntegrityCheckFailedError('The record signature does not verify.');
    }
    const aad = recordAad(patientKey, record.recordId);
    return this.guard(async () => {
      const dataKey = await this.cipher.unwrap(record.keyEnvelope, keys, aad);
      const header = decodeHeader(await this.cipher.open(dataKey, record.sealedHeader, HEADER_PART, aad));
      return { header, dataKey };
    });
  }

  async openContent(
    patientKey: Uint8Array,
    record: LedgerRecord,
    opened: OpenedHeader,
    content: Uint8Array,
  ): Promise<Uint8Array> {
    if (content.length !== record.contentLength || !bytesEqual(this.hasher.sha256(content), record.contentSha256)) {
      throw new IntegrityCheckFailedError('The record content does not match its digest.');
    }
    const aad = recordAad(patientKey, record.recordId);
    const plaintext = await this.guard(() => this.cipher.open(opened.dataKey, content, CONTENT_PART, aad));
    if (plaintext.length !== opened.header.size) {
      throw new IntegrityCheckFailedError('The record content does not match its recorded size.');
    }
    return plaintext;
  }

  /** Decryption failures of any kind mean the stored record is not what was written. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof IntegrityCheckFailedError) throw error;
      if (error instanceof DomainError && error.code !== 'CHAIN_UNAVAILABLE') {
        throw new IntegrityCheckFailedError('The record could not be decrypted.');
      }
      throw error;
    }
  }
}
