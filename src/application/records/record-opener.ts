import { bytesEqual } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { LedgerRecord, RecordHeader } from '../../domain/emr-record';
import { DecryptionFailedError, DomainError, IntegrityCheckFailedError } from '../../domain/errors';
import { Cipher, DataKey, KeyPair } from '../../domain/ports/cipher.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { decodeHeader, recordAad, recordSigningPayloadFor } from '../../domain/record-codec';

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

  /**
   * `keys`: a recipient of the record (the patient, or the provider it is sealed to).
   * `patientSigningKeys`: the patient's registered signing key and the ones it replaced (65-byte
   * SEC 1 each; patientSigningKeys(principal.keys)); a record they signed themselves verifies only
   * under the one its signerKeyId names (spec §3 rule (b)).
   * `addedEnvelopes`: further key envelopes for the record (re-wraps from the access ledger), tried
   * after the record's own. They are not signed: a data key from one counts only if it opens the
   * signed header, so a forged envelope is no more than a slot that does not open.
   */
  async openHeader(
    chain: ChainName,
    patientKey: Uint8Array,
    record: LedgerRecord,
    keys: KeyPair,
    patientSigningKeys: readonly Uint8Array[] = [],
    addedEnvelopes: readonly Uint8Array[] = [],
  ): Promise<OpenedHeader> {
    await this.assertSigned(chain, record, patientSigningKeys);
    return this.openSignedHeader(patientKey, record, keys, addedEnvelopes);
  }

  /**
   * openHeader for a record whose signature the caller has just checked with assertSigned (a
   * single-record read checks it before deciding access, and need not check it twice).
   */
  async openSignedHeader(
    patientKey: Uint8Array,
    record: LedgerRecord,
    keys: KeyPair,
    addedEnvelopes: readonly Uint8Array[] = [],
  ): Promise<OpenedHeader> {
    const aad = recordAad(patientKey, record.recordId);
    return this.guard(async () => {
      for (const keyEnvelope of [record.keyEnvelope, ...addedEnvelopes]) {
        const dataKey = await this.cipher.tryUnwrap([keyEnvelope], keys, aad);
        if (dataKey === null) continue;
        let sealedHeader: Uint8Array;
        try {
          sealedHeader = await this.cipher.open(dataKey, record.sealedHeader, HEADER_PART, aad);
        } catch (error) {
          if (error instanceof DecryptionFailedError) continue;
          throw error;
        }
        return { header: decodeHeader(sealedHeader), dataKey };
      }
      throw new IntegrityCheckFailedError('No key envelope of the record opens it for this reader.');
    });
  }

  /**
   * IntegrityCheckFailedError unless the record's signature verifies (its payload covers the key
   * envelope's digest). Readers call it before deciding access by trial decryption, so a tampered
   * envelope is an integrity failure, not a silent "not sealed to you".
   */
  async assertSigned(
    chain: ChainName,
    record: LedgerRecord,
    patientSigningKeys: readonly Uint8Array[] = [],
  ): Promise<void> {
    const payload = recordSigningPayloadFor(chain, record, (data) => this.hasher.sha256(data));
    if (!(await this.signatureVerifies(payload, record, patientSigningKeys))) {
      throw new IntegrityCheckFailedError('The record signature does not verify.');
    }
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

  /**
   * (a) a key the service trusts, under the id the record names; or (b) one of the patient's own
   * signing keys, current or replaced (issue 14), the one whose id the record names.
   */
  private async signatureVerifies(
    payload: Uint8Array,
    record: LedgerRecord,
    patientSigningKeys: readonly Uint8Array[],
  ): Promise<boolean> {
    if (await this.signer.verify(payload, record.signature, record.signerKeyId)) return true;
    const named = patientSigningKeys.find((key) => bytesEqual(this.hasher.sha256(key), record.signerKeyId));
    if (named === undefined) return false;
    return this.signer.verifyWithPublicKey(payload, record.signature, named);
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
