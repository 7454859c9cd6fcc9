import type { Request } from 'express';

/** Where the FHIR face lives, under the service's origin. */
export const FHIR_BASE_PATH = '/fhir/R4';
export const FHIR_JSON = 'application/fhir+json';
export const FHIR_VERSION = '4.0.1';

/** Our own URIs: extensions, identifier systems and code systems (documented in README.md beside this file). */
const OURS = 'https://patient-centric-emr.example/fhir';
/** `valueCode` supchain | medchain (| both, on a submitted DocumentReference or the SubmissionSet): the ledger(s). */
export const LEDGER_EXTENSION = `${OURS}/StructureDefinition/ledger`;
/** Patient identifiers: the service's patient id. */
export const PATIENT_ID_SYSTEM = 'urn:patient-centric-emr:patient';
/** Provider (and uploader) identifiers: the service's provider id. */
export const PROVIDER_ID_SYSTEM = 'urn:patient-centric-emr:provider';
/** Record identifiers: the record id (`0x` + 64 hex). */
export const RECORD_ID_SYSTEM = 'urn:patient-centric-emr:record';
/** Error codes of the REST table, in OperationOutcome.issue.details. */
export const ERROR_CODE_SYSTEM = 'urn:patient-centric-emr:error';

export const MHD_MINIMAL_DOCUMENT_REFERENCE =
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.DocumentReference';
export const MHD_MINIMAL_SUBMISSION_SET =
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.SubmissionSet';
export const MHD_PROVIDE_BUNDLE = 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.ProvideBundle';

/** FHIR ids: 1-64 of letters, digits, "-" and ".". */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The absolute base URL this request reached the FHIR face at (honours TRUST_PROXY through Express). */
export function fhirBase(request: Request): string {
  return `${request.protocol}://${request.get('host') ?? 'localhost'}${FHIR_BASE_PATH}`;
}

/** Sends a FHIR JSON resource. */
export function sendResource(response: import('express').Response, status: number, resource: unknown): void {
  response.status(status).type(`${FHIR_JSON}; charset=utf-8`).send(JSON.stringify(resource));
}
