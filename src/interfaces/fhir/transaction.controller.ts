import { Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DocumentRejectedError, ProvideDocumentsUseCase } from '../../application/records/provide-documents.use-case';
import { UploadResult } from '../../application/records/upload-result';
import {
  ForbiddenError,
  PatientNotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../../domain/errors';
import { Principal } from '../../domain/principal';
import { Actor } from '../http/actor.decorator';
import { IdempotencyKey } from '../http/request-headers.decorator';
import { documentReferenceId, documentUrl, masterIdentifierOf } from './document-reference.mapper';
import { FhirController } from './fhir-controller';
import { fhirBase, sendResource } from './fhir-constants';
import { FhirElementError } from './operation-outcome.filter';
import { readProvideBundle, SubmittedEntry } from './provide-bundle';

/**
 * ITI-65 Provide Document Bundle: `POST /fhir/R4` with a transaction Bundle. Every document is
 * checked before any is written (ProvideDocumentsUseCase); a refusal is an OperationOutcome whose
 * expression names the entry (and element) at fault. The answer is a transaction-response with one
 * `201 Created` entry per request entry, in order.
 */
@FhirController()
export class TransactionController {
  constructor(private readonly provide: ProvideDocumentsUseCase) {}

  @Post()
  async transaction(
    @Actor() actor: Principal,
    @Req() request: Request,
    @Res() response: Response,
    @Query('chain') chain?: string,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<void> {
    const bundle = readProvideBundle(request.body, chain);
    let results: UploadResult[];
    try {
      results = await this.provide.execute(
        bundle.documents.map((document, index) => ({
          ...document,
          actor,
          // One key per document: a retried Bundle answers each document from its own receipt.
          ...(idempotencyKey !== undefined ? { idempotencyKey: `${idempotencyKey}#${index}` } : {}),
        })),
      );
    } catch (error) {
      if (!(error instanceof DocumentRejectedError)) throw error;
      throw new FhirElementError(elementAtFault(bundle.documents[error.index], error.reason), error.reason);
    }
    const base = fhirBase(request);
    const entries: unknown[] = Array.from({ length: bundle.entryCount });
    bundle.documents.forEach((document, index) => {
      const { metadata } = results[index];
      const created = { status: '201 Created', lastModified: metadata.createdAt, etag: 'W/"1"' };
      entries[document.entryIndex] = {
        response: { ...created, location: `DocumentReference/${documentReferenceId(metadata.recordId)}` },
      };
      if (document.binaryIndex !== null) {
        entries[document.binaryIndex] = {
          response: { ...created, location: documentUrl(base, metadata.patientId, metadata.recordId) },
        };
      }
    });
    const first = results[0].metadata;
    entries[bundle.submissionSetIndex] = {
      // The SubmissionSet is not stored: its location names the submission by its first document.
      response: {
        status: '201 Created',
        lastModified: first.createdAt,
        location: `List/${masterIdentifierOf(first.recordId).slice('urn:uuid:'.length)}`,
      },
    };
    for (let index = 0; index < entries.length; index += 1) {
      // A Binary no DocumentReference used: accepted with the Bundle, nothing of its own stored.
      entries[index] ??= { response: { status: '201 Created' } };
    }
    sendResource(response, 200, { resourceType: 'Bundle', type: 'transaction-response', entry: entries });
  }
}

/** The FHIRPath of the element a refused document was refused for. */
function elementAtFault(document: SubmittedEntry, reason: unknown): string {
  const resource = `Bundle.entry[${document.entryIndex}].resource`;
  const attachment = `${resource}.content[0].attachment`;
  const bytes =
    document.binaryIndex === null ? `${attachment}.data` : `Bundle.entry[${document.binaryIndex}].resource.data`;
  if (reason instanceof ForbiddenError || reason instanceof PatientNotFoundError) return `${resource}.subject`;
  if (reason instanceof PayloadTooLargeError || reason instanceof UnsupportedMediaTypeError) return bytes;
  if (reason instanceof ValidationFailedError) {
    switch (reason.field) {
      case 'hash':
        return `${attachment}.hash`;
      case 'size':
        return `${attachment}.size`;
      case 'file':
        return bytes;
      case 'patientId':
        return `${resource}.subject`;
      case 'chain':
        return `${resource}.extension`;
    }
  }
  return `Bundle.entry[${document.entryIndex}]`;
}
