import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_JSON } from './problem-details.filter';
import { ProblemDto } from './records.dto';

/** The stable codes each error status can carry (API.md, Errors). */
const CODES_BY_STATUS: Readonly<Record<number, readonly string[]>> = {
  400: ['VALIDATION_FAILED'],
  401: ['UNAUTHENTICATED'],
  403: ['FORBIDDEN', 'CONSENT_REQUIRED', 'RECORD_NOT_SHARED'],
  404: ['PATIENT_NOT_FOUND', 'PROVIDER_NOT_FOUND', 'RECORD_NOT_FOUND', 'CLAIM_CODE_INVALID', 'NOT_FOUND'],
  409: [
    'IDEMPOTENCY_CONFLICT',
    'ALREADY_EXISTS',
    'DUPLICATE_RECORD',
    'SEALED_READ_REQUIRED',
    'SEALED_UPLOAD_REQUIRED',
    'KEYS_ALREADY_REGISTERED',
    'KEYS_NOT_REGISTERED',
    'RECORD_EXISTS',
    'SIGNATURE_REQUIRED',
  ],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  422: [
    'INTEGRITY_CHECK_FAILED',
    'KEY_PROOF_INVALID',
    'ENVELOPE_MALFORMED',
    'RECIPIENTS_MISMATCH',
    'SIGNATURE_INVALID',
    'CONSENT_SIGNATURE_INVALID',
  ],
  429: ['RATE_LIMITED', 'BREAK_GLASS_LIMITED', 'CLAIM_LIMITED'],
  503: ['CHAIN_UNAVAILABLE'],
};

/** Every authenticated route can answer these whatever it does. */
const ALWAYS = [401, 429] as const;

/**
 * Documents the problem+json answers of a route: the given statuses plus 401 and 429, each
 * with the codes it may carry, so /docs-json lists what API.md's error table promises.
 */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return problems([...statuses, ...ALWAYS]);
}

/** As ApiProblems, for a route that needs no token (@Public()): no 401. */
export function ApiPublicProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return problems([...statuses, 429]);
}

function problems(statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set(statuses)].sort((a, b) => a - b);
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...all.map((status) =>
      ApiResponse({
        status,
        description: `application/problem+json; code: ${(CODES_BY_STATUS[status] ?? []).join(' | ')}`,
        content: { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}
