import type { ProblemDetails } from '../http/problem-details.filter';
import { ERROR_CODE_SYSTEM } from './fhir-constants';

/** FHIR R4 IssueType (http://hl7.org/fhir/issue-type) for each HTTP status the REST table uses. */
const ISSUE_TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  409: 'duplicate',
  413: 'too-long',
  415: 'not-supported',
  416: 'not-supported',
  422: 'processing',
  429: 'throttled',
  503: 'transient',
};

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: {
    severity: 'error';
    code: string;
    details: { coding: { system: string; code: string }[]; text: string };
    diagnostics: string;
    expression?: string[];
  }[];
}

/**
 * The problem the REST API would answer, as a FHIR OperationOutcome: same status, the stable error
 * code in `details`, the safe detail as `diagnostics`, and `expression` naming the element at fault
 * (a Bundle entry, a search parameter) when there is one.
 */
export function operationOutcome(problem: ProblemDetails, expression?: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: ISSUE_TYPE_BY_STATUS[problem.status] ?? 'exception',
        details: { coding: [{ system: ERROR_CODE_SYSTEM, code: problem.code }], text: problem.title },
        diagnostics: problem.detail,
        ...(expression ? { expression: [expression] } : {}),
      },
    ],
  };
}
