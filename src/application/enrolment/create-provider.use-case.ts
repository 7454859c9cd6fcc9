import { ForbiddenError, ValidationFailedError } from '../../domain/errors';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { MAX_PROVIDER_NAME_CHARS, parseProviderId, Principal } from '../../domain/principal';
import { ADMIN_ID } from './authenticate.use-case';
import { Enrolled, Enrolment } from './enrolment';

export interface CreateProviderInput {
  readonly actor: Principal;
  readonly providerId: unknown;
  readonly name: unknown;
}

/** The operator (admin) creates a provider: key pair, public key on the ledgers, a claim code shown once. */
export class CreateProviderUseCase {
  constructor(
    private readonly enrolment: Enrolment,
    private readonly pseudonymizer: Pseudonymizer,
  ) {}

  async execute(input: CreateProviderInput): Promise<Enrolled> {
    if (input.actor.role !== 'admin') throw new ForbiddenError('Only the operator may create providers.');
    const providerId = parseProviderId(input.providerId);
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length === 0 || name.length > MAX_PROVIDER_NAME_CHARS) {
      throw new ValidationFailedError(`name must be 1-${MAX_PROVIDER_NAME_CHARS} characters.`, 'name');
    }
    return this.enrolment.enrol('provider', providerId, this.pseudonymizer.providerKey(providerId), ADMIN_ID, name);
  }
}
