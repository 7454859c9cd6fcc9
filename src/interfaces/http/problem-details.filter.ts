import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { UploadPolicy } from '../../application/records/upload-policy';
import {
  BreakGlassLimitedError,
  ChainUnavailableError,
  ClaimLimitedError,
  DomainError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../../domain/errors';
import { bearerToken } from './auth.guard';

export const PROBLEM_JSON = 'application/problem+json';

/** The only error → HTTP status table in the service (RFC 9457 problem details). */
const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  CONSENT_REQUIRED: HttpStatus.FORBIDDEN,
  PATIENT_NOT_FOUND: HttpStatus.NOT_FOUND,
  PROVIDER_NOT_FOUND: HttpStatus.NOT_FOUND,
  CLAIM_CODE_INVALID: HttpStatus.NOT_FOUND,
  RECORD_NOT_FOUND: HttpStatus.NOT_FOUND,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  IDEMPOTENCY_CONFLICT: HttpStatus.CONFLICT,
  DUPLICATE_RECORD: HttpStatus.CONFLICT,
  ALREADY_EXISTS: HttpStatus.CONFLICT,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  INTEGRITY_CHECK_FAILED: HttpStatus.UNPROCESSABLE_ENTITY,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  BREAK_GLASS_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  CLAIM_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  CHAIN_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  SEALED_READ_REQUIRED: HttpStatus.CONFLICT,
  SEALED_UPLOAD_REQUIRED: HttpStatus.CONFLICT,
  KEYS_ALREADY_REGISTERED: HttpStatus.CONFLICT,
  KEYS_NOT_REGISTERED: HttpStatus.CONFLICT,
  KEY_PROOF_INVALID: HttpStatus.UNPROCESSABLE_ENTITY,
  RECORD_EXISTS: HttpStatus.CONFLICT,
  ENVELOPE_MALFORMED: HttpStatus.UNPROCESSABLE_ENTITY,
  RECIPIENTS_MISMATCH: HttpStatus.UNPROCESSABLE_ENTITY,
  SIGNATURE_INVALID: HttpStatus.UNPROCESSABLE_ENTITY,
  RECORD_NOT_SHARED: HttpStatus.FORBIDDEN,
  CONSENT_SIGNATURE_INVALID: HttpStatus.UNPROCESSABLE_ENTITY,
  SIGNATURE_REQUIRED: HttpStatus.CONFLICT,
};

/** Codes for errors raised by the framework itself (routing, body parsing, multipart limits). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

const TITLE_BY_CODE: Record<string, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHENTICATED: 'Authentication is required',
  FORBIDDEN: 'Not allowed',
  CONSENT_REQUIRED: "The patient's consent is required",
  PATIENT_NOT_FOUND: 'Patient not found',
  PROVIDER_NOT_FOUND: 'Provider not found',
  CLAIM_CODE_INVALID: 'Claim code not valid',
  RECORD_NOT_FOUND: 'Record not found',
  NOT_FOUND: 'Not found',
  IDEMPOTENCY_CONFLICT: 'Idempotency key reused with a different request',
  DUPLICATE_RECORD: 'Record already exists',
  ALREADY_EXISTS: 'Already enrolled',
  PAYLOAD_TOO_LARGE: 'The file is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  INTEGRITY_CHECK_FAILED: 'The stored record failed its integrity check',
  RATE_LIMITED: 'Too many requests',
  BREAK_GLASS_LIMITED: 'Too many emergency reads',
  CLAIM_LIMITED: 'Too many failed claims',
  CHAIN_UNAVAILABLE: 'The ledger is unavailable',
  SEALED_READ_REQUIRED: 'Read your records through the sealed endpoints',
  SEALED_UPLOAD_REQUIRED: 'Upload your records sealed',
  KEYS_ALREADY_REGISTERED: 'Keys already registered',
  KEYS_NOT_REGISTERED: 'No keys registered yet',
  KEY_PROOF_INVALID: 'The key registration is not signed by its signing key',
  RECORD_EXISTS: 'A record with this id exists',
  ENVELOPE_MALFORMED: 'The key envelope is malformed',
  RECIPIENTS_MISMATCH: 'The record is not sealed to the right recipients',
  SIGNATURE_INVALID: 'The record signature is not valid',
  RECORD_NOT_SHARED: 'The record is not shared with you',
  CONSENT_SIGNATURE_INVALID: "The ledger refused the patient's consent signature",
  SIGNATURE_REQUIRED: "This change needs the patient's signature",
  INTERNAL_ERROR: 'Internal server error',
};

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** Which request field the problem concerns, when there is one. */
  field?: string;
  /** With 413 for a file: the largest accepted size in bytes. */
  maxBytes?: number;
}

function problemType(code: string): string {
  return `urn:patient-centric-emr:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * Maps every error to `application/problem+json`. Domain errors carry safe messages;
 * framework errors get a generic detail; anything unknown is a bare 500 whose cause
 * is logged by class name and stack only (our messages never carry PHI or secrets).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() @Inject(UploadPolicy) private readonly uploads?: UploadPolicy) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const problem = this.toProblem(exception);
    if (
      exception instanceof ChainUnavailableError ||
      exception instanceof BreakGlassLimitedError ||
      exception instanceof ClaimLimitedError
    ) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    if (problem.status === HttpStatus.UNAUTHORIZED) {
      response.setHeader('WWW-Authenticate', bearerChallenge(http.getRequest<Request>()));
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(problem.status).type(PROBLEM_JSON).send(JSON.stringify(problem));
  }

  /** The problem (status, code, safe detail) an error is answered with; the FHIR face shows it as an OperationOutcome. */
  toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof DomainError) {
      const status = STATUS_BY_CODE[exception.code];
      if (status !== undefined) {
        const problem = this.problem(status, exception.code, exception.message);
        if (exception instanceof ValidationFailedError && exception.field) problem.field = exception.field;
        if (exception instanceof UnsupportedMediaTypeError && exception.field) problem.field = exception.field;
        if (exception instanceof PayloadTooLargeError) problem.maxBytes = exception.maxBytes;
        return problem;
      }
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_BY_STATUS[status];
      if (code) {
        const { detail, field } = frameworkDetail(status, exception);
        const problem = this.problem(status, code, detail);
        return this.withLimit(field ? { ...problem, field } : problem, exception);
      }
    }
    const clientStatus = httpErrorStatus(exception);
    if (clientStatus !== null && CODE_BY_STATUS[clientStatus]) {
      return this.problem(
        clientStatus,
        CODE_BY_STATUS[clientStatus],
        frameworkDetail(clientStatus, new HttpException('', clientStatus)).detail,
      );
    }
    const name = exception instanceof Error ? exception.name : typeof exception;
    this.logger.error(`Unhandled ${name}`, exception instanceof Error ? exception.stack : undefined);
    return this.problem(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL_ERROR', 'An unexpected error occurred.');
  }

  /** Multer's file-size limit: say what the limit is, as a domain PayloadTooLargeError would. */
  private withLimit(problem: ProblemDetails, exception: HttpException): ProblemDetails {
    if (problem.status === 413 && /file too large/i.test(exception.message) && this.uploads) {
      const maxBytes = this.uploads.maxFileBytes;
      return { ...problem, detail: `The file exceeds the maximum size of ${maxBytes} bytes.`, maxBytes, field: 'file' };
    }
    return problem;
  }

  private problem(status: number, code: string, detail: string): ProblemDetails {
    return { type: problemType(code), title: TITLE_BY_CODE[code] ?? 'Error', status, detail, code };
  }
}

/**
 * Body parsers raise `http-errors` (status + expose) for client faults such as an
 * oversized or unparsable body; those are 4xx, not 500.
 */
function httpErrorStatus(exception: unknown): number | null {
  if (typeof exception !== 'object' || exception === null) return null;
  const { status, expose } = exception as { status?: unknown; expose?: unknown };
  return expose === true && typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

/**
 * RFC 6750 §3: every 401 names the scheme; `error` says whether the header was malformed
 * (invalid_request) or carried a token that did not authenticate (invalid_token).
 */
function bearerChallenge(request: Request): string {
  const challenge = 'Bearer realm="patient-centric-emr"';
  const header = request.headers?.authorization;
  if (header === undefined) return challenge;
  return `${challenge}, error="${bearerToken(request) === undefined ? 'invalid_request' : 'invalid_token'}"`;
}

/** Framework messages can echo request input; only a few known-safe ones pass through. */
function frameworkDetail(status: number, exception: HttpException): { detail: string; field?: string } {
  switch (status) {
    case 404:
      return { detail: 'No such endpoint.' };
    case 413:
      return { detail: 'The request or file exceeds the configured maximum size.' };
    case 429:
      return { detail: 'Too many requests; slow down and retry later.' };
    case 400: {
      const message = exception.message;
      if (/multipart|boundary|unexpected end of form|malformed part/i.test(message)) {
        return { detail: 'The multipart body is malformed.' };
      }
      // multer: a file in a form field the route does not take.
      if (/unexpected (file )?field/i.test(message)) {
        return { detail: 'Upload the file in a multipart form field named "file".', field: 'file' };
      }
      // body-parser's SyntaxError, turned into a BadRequestException by Nest.
      if (/json/i.test(message)) return { detail: 'The body is not valid JSON.' };
      return { detail: 'The request is malformed.' };
    }
    default:
      return {
        detail: exception.message && status < 500 ? 'The request cannot be served.' : 'An unexpected error occurred.',
      };
  }
}
