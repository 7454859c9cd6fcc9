import { Get, Param, Req, Res } from '@nestjs/common';
import contentDisposition from 'content-disposition';
import type { Request, Response } from 'express';
import { GetRecordUseCase } from '../../application/records/get-record.use-case';
import { genericFileName } from '../../domain/file-name';
import { ACCEPTED_MEDIA_TYPES } from '../../domain/media-type';
import { Principal } from '../../domain/principal';
import { Actor } from '../http/actor.decorator';
import { BreakGlassReason } from '../http/request-headers.decorator';
import { FhirController } from './fhir-controller';
import { FhirProtocolError } from './operation-outcome.filter';

/**
 * ITI-68 Retrieve Document: `GET /fhir/R4/documents/{patientId}/{recordId}`, the URL every
 * DocumentReference's attachment carries. The original bytes with their type, read exactly as the
 * REST read is (GetRecordUseCase on either ledger: consent, `X-Break-Glass-Reason`, access log).
 * A single `Range: bytes=…` is honoured (206 with Content-Range; 416 when it lies outside the
 * document); an `Accept` the document's type does not meet is 406.
 */
@FhirController()
export class DocumentController {
  constructor(private readonly getRecord: GetRecordUseCase) {}

  @Get('documents/:patientId/:recordId')
  async retrieve(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Param('recordId') recordId: string,
    @Req() request: Request,
    @Res() response: Response,
    @BreakGlassReason() breakGlassReason?: string,
  ): Promise<void> {
    const accept = request.headers.accept;
    // Refused before the read (and its log entry) when no document this service stores could meet it.
    if (!ACCEPTED_MEDIA_TYPES.some((type) => accepts(accept, type.mime))) throw notAcceptable();
    const { metadata, bytes } = await this.getRecord.execute({
      actor,
      patientId,
      recordId,
      chain: 'any',
      breakGlassReason,
    });
    if (!accepts(accept, metadata.contentType)) throw notAcceptable();
    const size = bytes.length;
    const range = rangeOf(request.headers.range, size);
    response.setHeader('Accept-Ranges', 'bytes');
    response.setHeader('ETag', `"${metadata.recordId}"`);
    response.setHeader('Cache-Control', 'private, no-store');
    response.setHeader('Content-Disposition', disposition(metadata.fileName, metadata.contentType));
    response.type(metadata.contentType);
    if (range === null) {
      response.status(200).setHeader('Content-Length', String(size));
      response.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return;
    }
    response.status(206);
    response.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    response.setHeader('Content-Length', String(range.end - range.start + 1));
    response.end(Buffer.from(bytes.buffer, bytes.byteOffset + range.start, range.end - range.start + 1));
  }
}

function notAcceptable(): FhirProtocolError {
  return new FhirProtocolError(
    406,
    'NOT_ACCEPTABLE',
    "The document's media type does not meet the Accept header.",
    'Accept',
  );
}

/** Whether an Accept header admits `mime` (absent: anything), q=0 entries excluded. */
export function accepts(accept: string | undefined, mime: string): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  const [type] = mime.split('/');
  return accept.split(',').some((part) => {
    const [range, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (params.some((param) => /^q=0(\.0*)?$/.test(param))) return false;
    return range === '*/*' || range === `${type}/*` || range === mime;
  });
}

/**
 * One byte range (RFC 9110 §14.1.2) within `size`: `a-b`, `a-` or `-n`. null: serve it all (no
 * Range, or a form not honoured such as several ranges). 416 when the range lies outside the document.
 */
export function rangeOf(header: string | undefined, size: number): { start: number; end: number } | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return null;
  }
  if (start >= size) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): FhirProtocolError {
  return new FhirProtocolError(416, 'RANGE_NOT_SATISFIABLE', 'The range lies outside the document.', 'Range', {
    'Content-Range': `bytes */${size}`,
  });
}

function disposition(fileName: string, contentType: string): string {
  try {
    return contentDisposition(fileName, { type: 'inline', fallback: fileName.replace(/[^\x20-\x7e]/g, '_') });
  } catch {
    return contentDisposition(genericFileName(contentType), { type: 'inline' });
  }
}
