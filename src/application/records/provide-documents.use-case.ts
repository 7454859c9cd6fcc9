import { bytesEqual } from '../../domain/bytes';
import { ValidationFailedError } from '../../domain/errors';
import { PreparedUpload, UploadPreparation, UploadRecordInput } from './upload-preparation';
import { UploadRecordUseCase } from './upload-record.use-case';
import { UploadResult } from './upload-result';

/** One document of a submission: an ordinary upload, plus what the submitter claims about its bytes. */
export interface SubmittedDocument extends UploadRecordInput {
  /** The SHA-1 the submitter stated (FHIR `Attachment.hash`); it must match the bytes. */
  readonly expectedSha1?: Uint8Array;
  /** The size the submitter stated (FHIR `Attachment.size`); it must match the bytes. */
  readonly expectedSize?: number;
}

/** A document of a submission was refused: `index` is its position in the submission, `reason` the domain error. */
export class DocumentRejectedError extends Error {
  constructor(
    readonly index: number,
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : 'A document was refused.');
    this.name = 'DocumentRejectedError';
  }
}

/**
 * Several documents submitted together (an MHD Provide Document Bundle), all or nothing as far as
 * checks go: every document is prepared exactly as an upload is (media sniffing, structure, size,
 * the actor's right to write for the patient) and held to the hash and size it was sent with
 * before the first one is written. Each is then written by UploadRecordUseCase, so sealing,
 * signing, replication and Idempotency-Key replay are the upload's own. A ledger failing half way
 * cannot be undone on a ledger; the submitter sees the error and, with an Idempotency-Key, a retry
 * answers the documents already written from their receipts instead of adding them again.
 */
export class ProvideDocumentsUseCase {
  constructor(
    private readonly preparation: UploadPreparation,
    private readonly upload: UploadRecordUseCase,
  ) {}

  async execute(documents: readonly SubmittedDocument[]): Promise<UploadResult[]> {
    if (documents.length === 0) throw new ValidationFailedError('The submission holds no document.');
    const prepared: Awaited<ReturnType<UploadPreparation['prepare']>>[] = [];
    for (const [index, document] of documents.entries()) {
      try {
        const ready = await this.preparation.prepare(document);
        checkClaims(document, ready.upload);
        prepared.push(ready);
      } catch (error) {
        throw new DocumentRejectedError(index, error);
      }
    }
    const results: UploadResult[] = [];
    for (const [index, document] of documents.entries()) {
      try {
        results.push(await this.upload.executePrepared(document, prepared[index]));
      } catch (error) {
        throw new DocumentRejectedError(index, error);
      }
    }
    return results;
  }
}

/** The size and SHA-1 a submitter stated must be those of the bytes (the header's SHA-1 is of the plaintext). */
function checkClaims(document: SubmittedDocument, upload: PreparedUpload): void {
  if (document.expectedSize !== undefined && document.expectedSize !== document.bytes.length) {
    throw new ValidationFailedError('The stated size does not match the document.', 'size');
  }
  const sha1 = upload.header.sha1;
  if (document.expectedSha1 !== undefined && (!sha1 || !bytesEqual(document.expectedSha1, sha1))) {
    throw new ValidationFailedError('The stated hash does not match the document (SHA-1).', 'hash');
  }
}
