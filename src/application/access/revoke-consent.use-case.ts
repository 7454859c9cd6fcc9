import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { parseProviderId, Principal } from '../../domain/principal';
import { requirePatientSelf } from './consent-view';

export interface RevokeConsentInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly providerId: string;
}

/**
 * Revokes on every ledger. If one cannot be reached the request fails with 503 and the
 * consent may still be in force there: the client must retry until it gets 204.
 */
export class RevokeConsentUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
  ) {}

  async execute(input: RevokeConsentInput): Promise<void> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const providerId = parseProviderId(input.providerId);
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const providerKey = this.pseudonymizer.providerKey(providerId);
    await Promise.all(this.ledgers.allAccess().map((ledger) => ledger.revokeConsent(patientKey, providerKey)));
  }
}
