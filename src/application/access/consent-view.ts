import { ChainName } from '../../domain/chain-name';
import { consentInForce, LedgerConsent } from '../../domain/consent';
import { ForbiddenError } from '../../domain/errors';
import { PatientId } from '../../domain/patient-id';
import { Principal } from '../../domain/principal';

export interface ConsentView {
  readonly providerId: string;
  readonly grantedAt: string;
  readonly expiresAt: string | null;
  /** False once expired. */
  readonly active: boolean;
  /** The ledgers holding this consent. */
  readonly chains: ChainName[];
}

/** Consents are the patient's alone to grant, list and revoke. */
export function requirePatientSelf(actor: Principal, patientId: PatientId): void {
  if (actor.role !== 'patient' || actor.id !== patientId.value) {
    throw new ForbiddenError('Only the patient can manage or read their consents and access log.');
  }
}

export function toConsentView(providerId: string, consent: LedgerConsent, chains: ChainName[], now: Date): ConsentView {
  return {
    providerId,
    grantedAt: consent.grantedAt.toISOString(),
    expiresAt: consent.expiresAt ? consent.expiresAt.toISOString() : null,
    active: consentInForce(consent, now),
    chains,
  };
}
