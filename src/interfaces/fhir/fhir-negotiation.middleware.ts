import { Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { json } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Environment } from '../../config/environment';
import { jsonDepth } from '../http/validation';
import { FhirProtocolError, OperationOutcomeFilter } from './operation-outcome.filter';
import { FHIR_BASE_PATH } from './fhir-constants';

/** JSON formats a client may ask for with `_format` or `Accept`. */
const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'text/json']);
const XML_FORMATS = new Set(['xml', 'application/xml', 'application/fhir+xml', 'text/xml']);
const JSON_MEDIA = ['application/fhir+json', 'application/json', 'application/*', '*/*', 'text/json'];
/** base64 grows a document by 4/3; the Bundle's own JSON around the documents is allowed this much. */
const BUNDLE_OVERHEAD_BYTES = 1024 * 1024;
/** A Bundle may carry this many documents at the upload limit. */
const MAX_DOCUMENTS_AT_LIMIT = 4;
/** FHIR resources nest deeper than the REST API's flat DTOs (Bundle → entry → resource → content → attachment…). */
const MAX_FHIR_JSON_DEPTH = 64;
/** ITI-68 answers the document's own type, so its Accept is checked by its handler, not here. */
const DOCUMENTS_PATH = `${FHIR_BASE_PATH}/documents/`;

/**
 * Every FHIR request passes here first. It speaks JSON only (no maintained converter for FHIR XML
 * on Node 20 that we would trust with records): `_format=xml` or an `Accept` only XML satisfies is
 * 406, an XML (or other non-JSON) body 415 — both OperationOutcomes. `application/fhir+json`
 * bodies are parsed here with a limit that fits a Bundle of documents at MAX_UPLOAD_BYTES
 * (plain `application/json` bodies are parsed by the service's JSON parser, 64 KiB). JSON nested
 * deeper than MAX_FHIR_JSON_DEPTH is refused, as the REST API refuses deep JSON.
 */
@Injectable()
export class FhirNegotiationMiddleware implements NestMiddleware {
  private readonly parse: RequestHandler;
  private readonly filter = new OperationOutcomeFilter();

  constructor(config: ConfigService<Environment, true>) {
    const maxUpload = config.get('MAX_UPLOAD_BYTES', { infer: true });
    const limit = Math.ceil((maxUpload * 4) / 3) * MAX_DOCUMENTS_AT_LIMIT + BUNDLE_OVERHEAD_BYTES;
    this.parse = json({ type: 'application/fhir+json', limit, strict: true });
  }

  use(request: Request, response: Response, next: NextFunction): void {
    const fail = (error: unknown) => this.answer(error, request, response);
    try {
      if (!request.originalUrl.startsWith(DOCUMENTS_PATH)) requireJsonAnswer(request);
      requireJsonBody(request);
    } catch (error) {
      fail(error);
      return;
    }
    this.parse(request, response, (error?: unknown) => {
      if (error) {
        fail(bodyError(error));
        return;
      }
      if (jsonDepth(request.body, MAX_FHIR_JSON_DEPTH) > MAX_FHIR_JSON_DEPTH) {
        fail(
          new FhirProtocolError(
            400,
            'VALIDATION_FAILED',
            `The JSON body is nested deeper than ${MAX_FHIR_JSON_DEPTH} levels.`,
          ),
        );
        return;
      }
      next();
    });
  }

  private answer(error: unknown, request: Request, response: Response): void {
    this.filter.catch(error, {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response, getNext: () => undefined }),
    } as never);
  }
}

function requireJsonAnswer(request: Request): void {
  const format = request.query._format;
  if (format !== undefined) {
    const value = (Array.isArray(format) ? String(format[0]) : String(format)).split(';')[0].trim().toLowerCase();
    if (!JSON_FORMATS.has(value)) {
      throw new FhirProtocolError(
        406,
        'NOT_ACCEPTABLE',
        XML_FORMATS.has(value)
          ? 'This server speaks FHIR JSON only (see the CapabilityStatement); XML is not supported.'
          : 'Unknown _format; this server answers application/fhir+json only.',
        '_format',
      );
    }
    return;
  }
  const accept = request.headers.accept;
  if (accept === undefined || accept.trim() === '') return;
  const wanted = accept.split(',').map((part) => {
    const [type, ...params] = part.split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return { type: type.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
  });
  if (!wanted.some(({ type, q }) => q > 0 && JSON_MEDIA.includes(type))) {
    throw new FhirProtocolError(
      406,
      'NOT_ACCEPTABLE',
      'This server answers application/fhir+json only; XML is not supported.',
      'Accept',
    );
  }
}

function requireJsonBody(request: Request): void {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return;
  if (request.is(['application/fhir+json', 'application/json'])) return;
  if (request.is('application/x-www-form-urlencoded') && request.originalUrl.split('?')[0].endsWith('/_search')) return;
  throw new FhirProtocolError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'Send FHIR resources as application/fhir+json; XML is not supported.',
    'Content-Type',
  );
}

/** body-parser's errors carry a status (400 unparsable, 413 too large); nothing of the body is echoed. */
function bodyError(error: unknown): FhirProtocolError {
  const status = (error as { status?: unknown }).status;
  if (status === 413) {
    return new FhirProtocolError(413, 'PAYLOAD_TOO_LARGE', 'The Bundle exceeds the maximum request size.');
  }
  return new FhirProtocolError(400, 'VALIDATION_FAILED', 'The body is not valid JSON.');
}
