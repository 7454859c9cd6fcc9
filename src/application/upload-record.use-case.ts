import { ChainName, parseWriteTarget } from '../domain/chain-name';
import { LedgerRecord, NewLedgerRecord, RecordMetadata } from '../domain/emr-record';
import {
  ChainUnavailableError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { ACCEPTED_MEDIA_TYPES, claimAgrees, sniffMediaType } from '../domain/media-type';
import { PatientId } from '../domain/patient-id';
import { Cipher } from '../domain/ports/cipher.port';
import { Clock } from '../domain/ports/clock.port';
import { Hasher } from '../domain/ports/hasher.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { RandomSource } from '../domain/ports/random.port';
import { RecordSigner } from '../domain/ports/record-signer.port';
import { ReplicationJournal } from '../domain/ports/replication-journal.port';
import { Principal, principalRef } from '../domain/principal';
import { encodeHeader, recordAad, recordSigningPayload, toMetadata } from '../domain/record-codec';
import { RECORD_ID_BYTES, RecordId } from '../domain/record-id';
import { Idempotency } from './idempotency';
import { PatientAccess } from './patient-access';
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

export type ReplicaStatus =
  | { readonly status: 'committed'; readonly version: number; readonly transactions: readonly string[]; readonly blockNumber: number | null }
  | { readonly status: 'pending' };

/** JSON-safe: it is also what an Idempotency-Key replays. */
export interface UploadResult {
  readonly target: ChainName | 'both';
  /** Every requested ledger holds the record. False only for `both` with a ledger down (202). */
  readonly complete: boolean;
  /** As stored on the first ledger that committed it. */
  readonly metadata: RecordMetadata;
  readonly replicas: Partial<Record<ChainName, ReplicaStatus>>;
}

const MAX_FILE_NAME_CHARS = 255;

/**
 * Encrypts a file once under a fresh data key sealed to the patient's key and the
 * uploading provider's key, signs it for each target ledger and appends it as the
 * patient's next record version. Input and rights are checked before anything is written.
 *
 * With `both`, the same record (id and ciphertext) goes to the two ledgers. If one is
 * down, the copy it is owed is put in the durable replication journal before the upload
 * is acknowledged (incomplete), and written when that ledger returns.
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
    if (!mediaType) {
      const accepted = ACCEPTED_MEDIA_TYPES.map((type) => type.extension.toUpperCase()).join(', ');
      throw new UnsupportedMediaTypeError(`The file is not one of the accepted formats (${accepted}).`);
    }
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
    const scope = principalRef(input.actor.role, input.actor.id);

    return this.idempotency.run(input.idempotencyKey, scope, fingerprint, async () => {
      const { recipients, uploader } = await this.access.writeScope(input.actor, patientId);
      const patientKey = this.pseudonymizer.patientKey(patientId);
      const recordId = RecordId.fromBytes(this.random.bytes(RECORD_ID_BYTES));
      const header = { fileName, contentType: mediaType.mime, size: input.bytes.length, uploader };
      const aad = recordAad(patientKey, recordId);
      const sealed = await this.cipher.seal([encodeHeader(header), input.bytes], recipients, aad);
      const sealedHeader = sealed.parts[HEADER_PART];
      const content = sealed.parts[CONTENT_PART];
      const contentSha256 = this.hasher.sha256(content);
      const drafts = await Promise.all(
        chains.map(async (chain): Promise<[ChainName, NewLedgerRecord]> => [
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
      const committed = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      const failed = drafts.filter((_, index) => outcomes[index].status === 'rejected');
      if (committed.length === 0) throw firstError(outcomes);

      for (const [chain, record] of failed) {
        await this.journal.add({ chain, record, queuedAt: this.clock.now() });
      }
      if (chains.length > 1) await this.journal.noteReplicated({ patientKey, recordId });

      const replicas: Partial<Record<ChainName, ReplicaStatus>> = {};
      for (const record of committed) replicas[record.chain] = committedStatus(record);
      for (const [chain] of failed) replicas[chain] = { status: 'pending' };
      return {
        target: chains.length > 1 ? 'both' : chains[0],
        complete: failed.length === 0,
        metadata: toMetadata(patientId, committed[0], header),
        replicas,
      };
    });
  }
}

function committedStatus(record: LedgerRecord): ReplicaStatus {
  return { status: 'committed', version: record.version, transactions: record.transactions, blockNumber: record.blockNumber };
}

/** When nothing committed, the caller gets the ledger's own error (503 for an unreachable one). */
function firstError(outcomes: PromiseSettledResult<unknown>[]): unknown {
  const reasons = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  return reasons.find((reason) => !(reason instanceof ChainUnavailableError)) ?? reasons[0];
}

/** Keeps the base name only, without control characters or path separators. */
export function cleanFileName(raw: string | undefined, extension: string): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, MAX_FILE_NAME_CHARS);
  return cleaned.length > 0 && cleaned !== '.' && cleaned !== '..' ? cleaned : `record.${extension}`;
}
