import { bytesEqual, hexToBytes } from '../../domain/bytes';
import { ChainName, parseWriteTarget } from '../../domain/chain-name';
import { LedgerRecord, NewLedgerRecord, RecordHeader, RecordMetadata } from '../../domain/emr-record';
import {
  ChainUnavailableError,
  DuplicateRecordError,
  IntegrityCheckFailedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../../domain/errors';
import { cleanFileName } from '../../domain/file-name';
import { Ledgers } from '../../domain/ledgers';
import { claimAgrees, refusalReason, sniffMediaType } from '../../domain/media-type';
import { PatientId } from '../../domain/patient-id';
import { Cipher } from '../../domain/ports/cipher.port';
import { Clock } from '../../domain/ports/clock.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { ReplicaReceipt, UploadReceipt } from '../../domain/ports/idempotency-store.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { RandomSource } from '../../domain/ports/random.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { Principal, principalRef } from '../../domain/principal';
import { encodeHeader, MetadataSource, recordAad, recordSigningPayload, toMetadata } from '../../domain/record-codec';
import { RECORD_ID_BYTES, RecordId } from '../../domain/record-id';
import { Idempotency } from './idempotency';
import { PatientAccess } from '../access/patient-access';
import { CONTENT_PART, HEADER_PART } from './record-opener';
import { UploadPolicy } from './upload-policy';

export interface UploadRecordInput {
  readonly patientId: string;
  /** `supchain`, `medchain` or `both` (case-insensitive). */
  readonly chain: string;
  readonly fileName: string | undefined;
  /** The Content-Type the client claimed for the file part, if any. */
  readonly claimedType: string | undefined;
  readonly bytes: Uint8Array;
  readonly actor: Principal;
  readonly idempotencyKey?: string;
}

/** `committed` (with version, transactions, block) or `pending` (owed by the journal). */
export type ReplicaStatus = ReplicaReceipt;

/** JSON-safe. An Idempotency-Key replays it from an UploadReceipt and the retried request. */
export interface UploadResult {
  readonly target: ChainName | 'both';
  /** Every requested ledger holds the record. False only for `both` with a ledger down (202). */
  readonly complete: boolean;
  /** As stored on the first ledger that committed it. */
  readonly metadata: RecordMetadata;
  readonly replicas: Partial<Record<ChainName, ReplicaStatus>>;
}

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
 */
export class UploadRecordUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly signer: RecordSigner,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly hasher: Hasher,
    private readonly random: RandomSource,
    private readonly access: PatientAccess,
    private readonly policy: UploadPolicy,
    private readonly journal: ReplicationJournal,
    private readonly idempotency: Idempotency,
    private readonly clock: Clock,
  ) {}

  async execute(input: UploadRecordInput): Promise<UploadResult> {
    const patientId = PatientId.parse(input.patientId);
    const chains = parseWriteTarget(input.chain);
    if (input.bytes.length === 0) throw new ValidationFailedError('file is empty.', 'file');
    if (input.bytes.length > this.policy.maxFileBytes) throw new PayloadTooLargeError(this.policy.maxFileBytes);
    const mediaType = sniffMediaType(input.bytes);
    if (!mediaType) throw new UnsupportedMediaTypeError(refusalReason(input.bytes));
    if (!claimAgrees(input.claimedType, mediaType)) {
      throw new UnsupportedMediaTypeError(
        `The file's content is ${mediaType.mime}, which disagrees with the type it was sent as.`,
      );
    }
    const fileName = cleanFileName(input.fileName, mediaType.extension);
    const fingerprint = this.idempotency.fingerprint([
      patientId.value,
      chains.join(','),
      fileName,
      mediaType.mime,
      this.hasher.sha256(input.bytes),
    ]);
    const { recipients, uploader } = await this.access.writeScope(input.actor, patientId);
    const upload: PreparedUpload = {
      patientId,
      patientKey: this.pseudonymizer.patientKey(patientId),
      chains,
      // Same fingerprint, same actor: a retry rebuilds exactly the header the first attempt sealed.
      header: { fileName, contentType: mediaType.mime, size: input.bytes.length, uploader },
      bytes: input.bytes,
      recipients,
    };
    const request = { fingerprint, recordId: RecordId.fromBytes(this.random.bytes(RECORD_ID_BYTES)), chains };

    return this.idempotency.run(input.idempotencyKey, principalRef(input.actor.role, input.actor.id), request, {
      write: (recordId) => this.write(upload, recordId),
      recover: (recordId) => this.recover(upload, recordId),
      replay: (recordId, receipt) => replay(upload, recordId, receipt),
      receipt: receiptOf,
    });
  }

  private async write(upload: PreparedUpload, recordId: RecordId): Promise<UploadResult> {
    const { patientKey, header } = upload;
    const aad = recordAad(patientKey, recordId);
    const sealed = await this.cipher.seal([encodeHeader(header), upload.bytes], upload.recipients, aad);
    const sealedHeader = sealed.parts[HEADER_PART];
    const content = sealed.parts[CONTENT_PART];
    const contentSha256 = this.hasher.sha256(content);
    const drafts = await Promise.all(
      upload.chains.map(async (chain): Promise<[ChainName, NewLedgerRecord]> => [
        chain,
        {
          recordId,
          patientKey,
          content,
          contentSha256,
          sealedHeader,
          keyEnvelope: sealed.keyEnvelope,
          signature: await this.signer.sign(
            recordSigningPayload({ chain, patientKey, recordId, contentSha256, sealedHeader }),
          ),
          signerKeyId: this.signer.keyId(),
        },
      ]),
    );

    const outcomes = await Promise.allSettled(drafts.map(([chain, draft]) => this.ledgers.get(chain).append(draft)));
    if (outcomes.some((outcome) => outcome.status === 'rejected' && outcome.reason instanceof DuplicateRecordError)) {
      // Only a retry reuses a record id: an earlier attempt under the same key committed after
      // all (after its deadline). That record is the answer; this attempt's ciphertext is not.
      const recovered = await this.recover(upload, recordId);
      if (recovered) return recovered;
    }
    const committed = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = drafts.filter((_, index) => outcomes[index].status === 'rejected');
    if (committed.length === 0) throw firstError(outcomes);

    for (const [chain, record] of failed) {
      await this.journal.add({ chain, record, queuedAt: this.clock.now() });
    }
    if (upload.chains.length > 1) await this.journal.noteReplicated({ patientKey, recordId });
    return result(
      upload,
      committed,
      failed.map(([chain]) => chain),
    );
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
      for (const chain of missing) {
        const copy: NewLedgerRecord = {
          recordId,
          patientKey: upload.patientKey,
          content,
          contentSha256: source.contentSha256,
          sealedHeader: source.sealedHeader,
          keyEnvelope: source.keyEnvelope,
          signature: await this.signer.sign(
            recordSigningPayload({
              chain,
              patientKey: upload.patientKey,
              recordId,
              contentSha256: source.contentSha256,
              sealedHeader: source.sealedHeader,
            }),
          ),
          signerKeyId: this.signer.keyId(),
        };
        const written = unreachable.has(chain) ? null : await this.appendOrNull(chain, copy);
        if (written) {
          found.set(chain, written);
        } else {
          await this.journal.add({ chain, record: copy, queuedAt: this.clock.now() });
          pending.push(chain);
        }
      }
    }
    if (upload.chains.length > 1) await this.journal.noteReplicated({ patientKey: upload.patientKey, recordId });
    const committed = upload.chains.flatMap((chain) => {
      const record = found.get(chain);
      return record ? [record] : [];
    });
    return result(upload, committed, pending);
  }

  /** The committed copy, or null when the ledger is down (the copy is then journaled). */
  private async appendOrNull(chain: ChainName, copy: NewLedgerRecord): Promise<LedgerRecord | null> {
    const repository = this.ledgers.get(chain);
    try {
      return await repository.append(copy);
    } catch (error) {
      if (error instanceof DuplicateRecordError) return repository.findById(copy.patientKey, copy.recordId);
      if (error instanceof ChainUnavailableError) return null;
      throw error;
    }
  }
}

/** What one upload request carries to every attempt under its Idempotency-Key. */
interface PreparedUpload {
  readonly patientId: PatientId;
  readonly patientKey: Uint8Array;
  readonly chains: readonly ChainName[];
  readonly header: RecordHeader;
  readonly bytes: Uint8Array;
  readonly recipients: Uint8Array[];
}

/** `committed` in the order of `upload.chains`: the first is the one the metadata shows. */
function result(
  upload: PreparedUpload,
  committed: readonly LedgerRecord[],
  pending: readonly ChainName[],
): UploadResult {
  const replicas: Partial<Record<ChainName, ReplicaStatus>> = {};
  for (const record of committed) replicas[record.chain] = committedStatus(record);
  for (const chain of pending) replicas[chain] = { status: 'pending' };
  return {
    target: upload.chains.length > 1 ? 'both' : upload.chains[0],
    complete: pending.length === 0,
    metadata: toMetadata(upload.patientId, committed[0], upload.header),
    replicas,
  };
}

function receiptOf(answer: UploadResult): UploadReceipt {
  return {
    chain: answer.metadata.chain,
    createdAt: new Date(answer.metadata.createdAt),
    contentSha256: hexToBytes(answer.metadata.ciphertextSha256.slice(2)),
    replicas: answer.replicas,
  };
}

/** The answer a completed attempt gave, from its receipt and the retried request (same fingerprint, same fields). */
function replay(upload: PreparedUpload, recordId: RecordId, receipt: UploadReceipt): UploadResult {
  const shown = receipt.replicas[receipt.chain];
  if (shown?.status !== 'committed') throw new Error('An idempotency receipt names a copy that was not committed.');
  const source: MetadataSource = {
    chain: receipt.chain,
    recordId,
    version: shown.version,
    transactions: shown.transactions,
    blockNumber: shown.blockNumber,
    createdAt: receipt.createdAt,
    contentSha256: receipt.contentSha256,
  };
  return {
    target: upload.chains.length > 1 ? 'both' : upload.chains[0],
    complete: upload.chains.every((chain) => receipt.replicas[chain]?.status === 'committed'),
    metadata: toMetadata(upload.patientId, source, upload.header),
    replicas: receipt.replicas,
  };
}

function committedStatus(record: LedgerRecord): ReplicaStatus {
  return {
    status: 'committed',
    version: record.version,
    transactions: record.transactions,
    blockNumber: record.blockNumber,
  };
}

/** When nothing committed, the caller gets the ledger's own error (503 for an unreachable one). */
function firstError(outcomes: PromiseSettledResult<unknown>[]): unknown {
  const reasons = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  return reasons.find((reason) => !(reason instanceof ChainUnavailableError)) ?? reasons[0];
}
