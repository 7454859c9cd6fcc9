import { ForbiddenError, PatientNotFoundError } from '../../domain/errors';
import { PatientId } from '../../domain/patient-id';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Principal } from '../../domain/principal';

export interface FoundPatient {
  readonly patientId: string;
  readonly enrolledAt: Date;
}

/**
 * An enrolled patient, as far as the caller may know of them (a FHIR Patient read): a patient sees
 * only themself (another id is 403, as on the REST API); a provider, who may write for any enrolled
 * patient, learns whether the id is enrolled (an upload would tell it as much); the operator sees
 * no patient.
 */
export class FindPatientUseCase {
  constructor(private readonly principals: PrincipalRepository) {}

  async execute(input: { actor: Principal; patientId: string }): Promise<FoundPatient> {
    const patientId = PatientId.parse(input.patientId);
    if (input.actor.role === 'admin') throw new ForbiddenError('The operator cannot read patients.');
    if (input.actor.role === 'patient' && input.actor.id !== patientId.value) {
      throw new ForbiddenError('A patient can only see themself.');
    }
    const patient = await this.principals.find('patient', patientId.value);
    if (!patient) throw new PatientNotFoundError('No patient is enrolled with this id.');
    return { patientId: patient.id, enrolledAt: patient.createdAt };
  }
}
