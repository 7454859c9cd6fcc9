import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Inject, Optional } from '@nestjs/common';
import type { Request, Response } from 'express';
import { UploadPolicy } from '../../application/records/upload-policy';
import {
  BreakGlassLimitedError,
  ChainUnavailableError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../../domain/errors';
import { bearerToken } from '../http/auth.guard';
import { ProblemDetails, ProblemDetailsFilter } from '../http/problem-details.filter';
import { operationOutcome } from './operation-outcome';
import { sendResource } from './fhir-constants';

/** An error the FHIR face raises itself (negotiation, ranges): its status, code and safe detail. */
export class FhirProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly expression?: string,
    /** Headers the answer carries (e.g. Content-Range with a 416). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'FhirProtocolError';
  }
}

/** `reason` (any error) concerns the element `expression` names, e.g. `Bundle.entry[2]`. */
export class FhirElementError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: unknown,
  ) {
    super('An element of the request was refused.');
    this.name = 'FhirElementError';
  }
}

const TITLE_BY_STATUS: Record<number, string> = {
  406: 'Not acceptable',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  400: 'The request is not valid',
  413: 'The request is too large',
};

/**
 * The FHIR face's errors: every one is an OperationOutcome (application/fhir+json) with the status
 * the REST API's table gives the same error — the status, code and detail come from the REST
 * filter's own table (ProblemDetailsFilter.toProblem), so the two faces cannot disagree. Scoped to
 * the FHIR controllers with @UseFilters.
 */
@Catch()
export class OperationOutcomeFilter implements ExceptionFilter {
  private readonly problems: ProblemDetailsFilter;

  constructor(@Optional() @Inject(UploadPolicy) uploads?: UploadPolicy) {
    this.problems = new ProblemDetailsFilter(uploads);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const { problem, expression, cause } = this.describe(exception);
    if (cause instanceof ChainUnavailableError || cause instanceof BreakGlassLimitedError) {
      response.setHeader('Retry-After', String(cause.retryAfterSeconds));
    }
    if (cause instanceof FhirProtocolError) {
      for (const [name, value] of Object.entries(cause.headers)) response.setHeader(name, value);
    }
    if (problem.status === HttpStatus.UNAUTHORIZED) {
      const request = http.getRequest<Request>();
      const challenge = 'Bearer realm="patient-centric-emr"';
      response.setHeader(
        'WWW-Authenticate',
        request.headers.authorization === undefined
          ? challenge
          : `${challenge}, error="${bearerToken(request) === undefined ? 'invalid_request' : 'invalid_token'}"`,
      );
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    sendResource(response, problem.status, operationOutcome(problem, expression));
  }

  describe(exception: unknown): { problem: ProblemDetails; expression?: string; cause: unknown } {
    if (exception instanceof FhirProtocolError) {
      const problem: ProblemDetails = {
        type: `urn:patient-centric-emr:problem:${exception.code.toLowerCase().replace(/_/g, '-')}`,
        title: TITLE_BY_STATUS[exception.status] ?? 'Error',
        status: exception.status,
        detail: exception.message,
        code: exception.code,
      };
      return { problem, expression: exception.expression, cause: exception };
    }
    if (exception instanceof FhirElementError) {
      const inner = this.describe(exception.reason);
      return { problem: inner.problem, expression: exception.expression, cause: inner.cause };
    }
    return { problem: this.problems.toProblem(exception), expression: fieldOf(exception), cause: exception };
  }
}

function fieldOf(error: unknown): string | undefined {
  if (error instanceof ValidationFailedError || error instanceof UnsupportedMediaTypeError) return error.field;
  return undefined;
}
