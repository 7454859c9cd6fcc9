import { bytesToHex } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { LedgerConsent } from '../../domain/consent';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal } from '../../domain/principal';
import { ConsentView, requirePatientSelf, toConsentView } from './consent-view';

/** The patient's consents as the ledgers hold them now (expired ones flagged inactive). */
export class ListConsentsUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly clock: Clock,
  ) {}

  async execute(input: { actor: Principal; patientId: string }): Promise<ConsentView[]> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const providerIds = new Map<string, string>();
    for (const provider of await this.principals.list('provider')) {
      providerIds.set(bytesToHex(this.pseudonymizer.providerKey(provider.id)), provider.id);
    }
    const merged = new Map<string, { consent: LedgerConsent; chains: ChainName[] }>();
    for (const ledger of this.ledgers.allAccess()) {
      for (const consent of await ledger.consentsOf(patientKey)) {
        const key = bytesToHex(consent.providerKey);
        const seen = merged.get(key);
        if (!seen) merged.set(key, { consent, chains: [ledger.chain] });
        else {
          seen.chains.push(ledger.chain);
          if (consent.grantedAt > seen.consent.grantedAt) seen.consent = consent;
        }
      }
    }
    const now = this.clock.now();
    return [...merged.entries()]
      .filter(([key]) => providerIds.has(key))
      .map(([key, { consent, chains }]) => toConsentView(providerIds.get(key)!, consent, chains, now))
      .sort((a, b) => b.grantedAt.localeCompare(a.grantedAt));
  }
}
