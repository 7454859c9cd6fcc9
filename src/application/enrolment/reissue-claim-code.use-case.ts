import { ForbiddenError, PatientNotFoundError, ProviderNotFoundError } from '../../domain/errors';
import { PatientId } from '../../domain/patient-id';
import { parseProviderId, Principal } from '../../domain/principal';
import { Enrolment, IssuedClaim } from './enrolment';

/**
 * A new claim code for a principal who lost theirs, or signed out everywhere: a provider issues
 * one for any enrolled patient (any provider may write for one), the operator for a provider. The
 * new code voids older unused ones; the principal's current token keeps working until it is claimed.
 */
export class ReissueClaimCodeUseCase {
  constructor(private readonly enrolment: Enrolment) {}

  async forPatient(input: { actor: Principal; patientId: unknown }): Promise<IssuedClaim> {
    if (input.actor.role !== 'provider') throw new ForbiddenError('Only providers may issue claim codes for patients.');
    const patientId = PatientId.parse(input.patientId);
    const issued = await this.enrolment.reissue('patient', patientId.value);
    if (!issued) throw new PatientNotFoundError('No patient is enrolled with this id.');
    return issued;
  }

  async forProvider(input: { actor: Principal; providerId: unknown }): Promise<IssuedClaim> {
    if (input.actor.role !== 'admin')
      throw new ForbiddenError('Only the operator may issue claim codes for providers.');
    const providerId = parseProviderId(input.providerId);
    const issued = await this.enrolment.reissue('provider', providerId);
    if (!issued) throw new ProviderNotFoundError('No provider exists with this id.');
    return issued;
  }
}
