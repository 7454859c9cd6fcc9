import { ValidationFailedError } from '../../domain/errors';
import { PATIENT_ID_SYSTEM } from './fhir-constants';
import { SearchParams } from './search';

/** `patient` (Patient/<id>, a URL ending so, or the id) or `patient.identifier` (our system|id, or the id). */
export function patientParameter(params: SearchParams): string {
  const reference = params.get('patient')?.[0];
  if (reference !== undefined) {
    const match = /(?:^|\/)Patient\/([^/?#]+)$/.exec(reference);
    return decodeURIComponent(match ? match[1] : reference);
  }
  const identifier = params.get('patient.identifier')?.[0];
  if (identifier !== undefined) {
    const bar = identifier.indexOf('|');
    if (bar < 0) return identifier;
    if (identifier.slice(0, bar) === PATIENT_ID_SYSTEM) return identifier.slice(bar + 1);
    throw new ValidationFailedError(
      `patient.identifier must be in the system ${PATIENT_ID_SYSTEM} (the patient id).`,
      'patient.identifier',
    );
  }
  throw new ValidationFailedError('Name the patient: patient=Patient/<id> or patient.identifier.', 'patient');
}
