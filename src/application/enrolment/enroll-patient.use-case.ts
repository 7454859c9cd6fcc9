import { ForbiddenError } from '../../domain/errors';
import { PatientId } from '../../domain/patient-id';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal } from '../../domain/principal';
import { Enrolled, Enrolment } from './enrolment';

export interface EnrollPatientInput {
  readonly actor: Principal;
  readonly patientId: unknown;
}

/** A provider enrols a patient: the patient gets a key pair and a claim code to exchange for a token. */
export class EnrollPatientUseCase {
  constructor(
    private readonly enrolment: Enrolment,
    private readonly pseudonymizer: Pseudonymizer,
  ) {}

  async execute(input: EnrollPatientInput): Promise<Enrolled> {
    if (input.actor.role !== 'provider') throw new ForbiddenError('Only providers may enrol patients.');
    const patientId = PatientId.parse(input.patientId);
    return this.enrolment.enrol('patient', patientId.value, this.pseudonymizer.patientKey(patientId), input.actor.id);
  }
}
