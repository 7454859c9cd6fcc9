import { SignatureRequiredError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { parseProviderId, Principal } from '../../domain/principal';
import { parseConsentSignatures, parseEpochData } from './consent-signatures';
import { requirePatientSelf } from './consent-view';

export interface RevokeConsentInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly providerId: string;
  /** `{ publicKey, slots }`: the new epoch the browser made (slots for the patient and the providers still consented). */
  readonly epoch: unknown;
  /** `{ "<chain>": { nonce, r, s } }`. */
  readonly signatures: unknown;
}

/**
 * Relays the patient's signed revocation and the new epoch to every ledger, each checked first (a
 * dry run) so a refused signature writes nothing anywhere. If one ledger cannot be reached the
 * request fails with 503 and the consent may still be in force there: the client signs again
 * (fresh nonces) and retries until it gets 204.
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
    if (input.epoch === undefined && input.signatures === undefined) {
      throw new SignatureRequiredError(
        'A revocation needs your signature: POST /api/v1/patients/{id}/consents/{providerId}/revoke from your browser.',
      );
    }
    const epoch = parseEpochData(input.epoch);
    const ledgers = this.ledgers.allAccess();
    const signatures = parseConsentSignatures(
      input.signatures,
      ledgers.map((ledger) => ledger.chain),
    );
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const providerKey = this.pseudonymizer.providerKey(providerId);
    await Promise.all(
      ledgers.map((ledger) => ledger.checkRevokeConsent(patientKey, providerKey, signatures.get(ledger.chain)!, epoch)),
    );
    await Promise.all(
      ledgers.map((ledger) => ledger.revokeConsent(patientKey, providerKey, signatures.get(ledger.chain)!, epoch)),
    );
  }
}
