import { ChainName, parseWriteTarget } from '../../domain/chain-name';
import { RecordHeader } from '../../domain/emr-record';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationFailedError } from '../../domain/errors';
import { cleanFileName } from '../../domain/file-name';
import { claimAgrees, refusalReason, sniffMediaType } from '../../domain/media-type';
import { PatientId } from '../../domain/patient-id';
import { Hasher } from '../../domain/ports/hasher.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { RandomSource } from '../../domain/ports/random.port';
import { Principal } from '../../domain/principal';
import { RECORD_ID_BYTES, RecordId } from '../../domain/record-id';
import { PatientAccess } from '../access/patient-access';
import { Idempotency, IdempotentRequest } from './idempotency';
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
  /** FHIR DocumentReference.type / .category as `system|code` tokens, sealed in the header (FHIR uploads). */
  readonly documentType?: string;
  readonly documentCategory?: string;
  /** FHIR DocumentReference.masterIdentifier as `system|value`, sealed in the header (FHIR uploads). */
  readonly documentId?: string;
}

/** What one upload request carries to every attempt under its Idempotency-Key. */
export interface PreparedUpload {
  readonly patientId: PatientId;
  readonly patientKey: Uint8Array;
  readonly chains: readonly ChainName[];
  readonly header: RecordHeader;
  readonly bytes: Uint8Array;
  readonly recipients: Uint8Array[];
}

/**
 * The part of an upload that runs before anything is written: the request is parsed, the
 * file's bytes are sniffed and held to the upload policy, and the actor's right to write
 * for the patient is checked (which also yields the keys to seal to). Owned by UploadRecordUseCase.
 */
export class UploadPreparation {
  constructor(
    private readonly policy: UploadPolicy,
    private readonly access: PatientAccess,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly hasher: Hasher,
    private readonly random: RandomSource,
    private readonly idempotency: Idempotency,
  ) {}

  async prepare(input: UploadRecordInput): Promise<{ upload: PreparedUpload; request: IdempotentRequest }> {
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
      // Only FHIR uploads classify; without a classification the fingerprint is what it always was.
      ...(input.documentType !== undefined || input.documentCategory !== undefined || input.documentId !== undefined
        ? [
            `type:${input.documentType ?? ''}`,
            `category:${input.documentCategory ?? ''}`,
            `id:${input.documentId ?? ''}`,
          ]
        : []),
    ]);
    const { recipients, uploader } = await this.access.writeScope(input.actor, patientId);
    const upload: PreparedUpload = {
      patientId,
      patientKey: this.pseudonymizer.patientKey(patientId),
      chains,
      // Same fingerprint, same actor: a retry rebuilds exactly the header the first attempt sealed.
      header: {
        fileName,
        contentType: mediaType.mime,
        size: input.bytes.length,
        uploader,
        sha1: this.hasher.sha1(input.bytes),
        ...(input.documentType !== undefined ? { documentType: input.documentType } : {}),
        ...(input.documentCategory !== undefined ? { documentCategory: input.documentCategory } : {}),
        ...(input.documentId !== undefined ? { documentId: input.documentId } : {}),
      },
      bytes: input.bytes,
      recipients,
    };
    const request = { fingerprint, recordId: RecordId.fromBytes(this.random.bytes(RECORD_ID_BYTES)), chains };
    return { upload, request };
  }
}
