import { bytesEqual } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { LedgerRecord, NewLedgerRecord } from '../../domain/emr-record';
import { ChainUnavailableError, DuplicateRecordError, IntegrityCheckFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { Cipher } from '../../domain/ports/cipher.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { principalRef } from '../../domain/principal';
import { encodeHeader, recordAad } from '../../domain/record-codec';
import { RecordId } from '../../domain/record-id';
import { ReplicaCopier, ReplicaSource } from '../replication/replica-copier';
import { Idempotency, IdempotentRequest } from './idempotency';
import { CONTENT_PART, HEADER_PART } from './record-opener';
import { PreparedUpload, UploadPreparation, UploadRecordInput } from './upload-preparation';
import { receiptOf, replayResult, UploadResult, uploadResult } from './upload-result';

/**
 * Encrypts a file once under a fresh data key sealed to the patient's key and the
 * uploading provider's key, signs it for each target ledger and appends it as the
 * patient's next record version. Input and rights are checked before anything is written.
 *
 * With `both`, the same record (id and ciphertext) goes to the two ledgers. If one is
 * down, the copy it is owed is put in the durable replication journal before the upload
 * is acknowledged (incomplete), and written when that ledger returns.
 *
 * Under an Idempotency-Key the record id is fixed before any ledger write (see
 * Idempotency), so a retry after a 503 finds a late commit instead of adding a record.
 *
 * Owns UploadPreparation (input, policy and rights, checked before anything is written)
 * and upload-result (the answer, its idempotency receipt and its replay).
 */
export class UploadRecordUseCase {
  constructor(
    private readonly preparation: UploadPreparation,
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly hasher: Hasher,
    private readonly copier: ReplicaCopier,
    private readonly journal: ReplicationJournal,
    private readonly idempotency: Idempotency,
  ) {}

  async execute(input: UploadRecordInput): Promise<UploadResult> {
    return this.executePrepared(input, await this.preparation.prepare(input));
  }

  /** An upload whose input its caller already prepared with this use case's UploadPreparation (several at once). */
  async executePrepared(
    input: UploadRecordInput,
    { upload, request }: { upload: PreparedUpload; request: IdempotentRequest },
  ): Promise<UploadResult> {
    return this.idempotency.run(input.idempotencyKey, principalRef(input.actor.role, input.actor.id), request, {
      write: (recordId) => this.write(upload, recordId),
      recover: (recordId) => this.recover(upload, recordId),
      replay: (recordId, receipt) => replayResult(upload, recordId, receipt),
      receipt: receiptOf,
    });
  }

  private async write(upload: PreparedUpload, recordId: RecordId): Promise<UploadResult> {
    const { patientKey, header } = upload;
    const aad = recordAad(patientKey, recordId);
    const sealed = await this.cipher.seal([encodeHeader(header), upload.bytes], upload.recipients, aad);
    const content = sealed.parts[CONTENT_PART];
    const source: ReplicaSource = {
      recordId,
      patientKey,
      content,
      contentSha256: this.hasher.sha256(content),
      sealedHeader: sealed.parts[HEADER_PART],
      keyEnvelope: sealed.keyEnvelope,
    };
    const drafts = await Promise.all(
      upload.chains.map(async (chain): Promise<[ChainName, NewLedgerRecord]> => [
        chain,
        await this.copier.signFor(chain, source),
      ]),
    );

    const outcomes = await Promise.allSettled(drafts.map(([chain, draft]) => this.ledgers.get(chain).append(draft)));
    if (outcomes.some((outcome) => outcome.status === 'rejected' && outcome.reason instanceof DuplicateRecordError)) {
      // Only a retry reuses a record id: an earlier attempt under the same key committed after
      // all (after its deadline). That record is the answer; this attempt's ciphertext is not.
      const recovered = await this.recover(upload, recordId);
      if (recovered) return recovered;
    }
    const { committed, pending } = await this.copier.settle(drafts, outcomes);
    return uploadResult(upload, committed, pending);
  }

  /**
   * Finds an earlier attempt's record on the ledgers. Where it committed, that copy is the
   * answer; a requested ledger that lacks it gets the same ciphertext, signed for it (or a
   * journal entry when it is down), as a `both` upload's second copy always does.
   */
  private async recover(upload: PreparedUpload, recordId: RecordId): Promise<UploadResult | null> {
    const found = new Map<ChainName, LedgerRecord>();
    const unreachable = new Set<ChainName>();
    for (const chain of upload.chains) {
      try {
        const record = await this.ledgers.get(chain).findById(upload.patientKey, recordId);
        if (record) found.set(chain, record);
      } catch (error) {
        if (!(error instanceof ChainUnavailableError)) throw error;
        unreachable.add(chain);
      }
    }
    if (found.size === 0) {
      // Writing again now could put a second ciphertext under this id on the ledger that did not answer.
      if (unreachable.size > 0) {
        throw new ChainUnavailableError(
          'A ledger that may hold an earlier attempt of this upload is unreachable; retry later.',
        );
      }
      return null;
    }

    const missing = upload.chains.filter((chain) => !found.has(chain));
    const pending: ChainName[] = [];
    if (missing.length > 0) {
      const source = found.values().next().value as LedgerRecord;
      const content = await this.ledgers.get(source.chain).readContent(source);
      if (!bytesEqual(this.hasher.sha256(content), source.contentSha256)) {
        throw new IntegrityCheckFailedError('The ledger copy of this upload does not match its digest.');
      }
      const copy: ReplicaSource = {
        recordId,
        patientKey: upload.patientKey,
        content,
        contentSha256: source.contentSha256,
        sealedHeader: source.sealedHeader,
        keyEnvelope: source.keyEnvelope,
      };
      for (const chain of missing) {
        const written = await this.copier.copyOrJournal(chain, copy, unreachable.has(chain));
        if (written) found.set(chain, written);
        else pending.push(chain);
      }
    }
    if (upload.chains.length > 1) await this.journal.noteReplicated({ patientKey: upload.patientKey, recordId });
    const committed = upload.chains.flatMap((chain) => {
      const record = found.get(chain);
      return record ? [record] : [];
    });
    return uploadResult(upload, committed, pending);
  }
}
