import { bytesToHex, toHex0x } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal } from '../../domain/principal';
import { requirePatientSelf } from './consent-view';

export interface ConsentChangeView {
  readonly chain: ChainName;
  readonly action: 'grant' | 'revoke';
  /** Null for a provider pseudonym the service does not know (not one of its providers). */
  readonly providerId: string | null;
  readonly expiresAt: string | null;
  readonly nonce: string;
  /** The exact signed message (0x-hex, 288 bytes): re-verify with the patient's own public key. */
  readonly message: string;
  readonly r: string;
  readonly s: string;
  readonly at: string;
  readonly transaction: string | null;
}

/**
 * The patient's signed grants and revocations as each ledger recorded them (events), oldest first
 * per ledger, ledgers in configured order: the browser re-verifies each signature itself.
 */
export class ConsentHistoryUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
  ) {}

  async execute(input: { actor: Principal; patientId: string }): Promise<ConsentChangeView[]> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const providerIds = new Map<string, string>();
    for (const provider of await this.principals.list('provider')) {
      providerIds.set(bytesToHex(this.pseudonymizer.providerKey(provider.id)), provider.id);
    }
    const views: ConsentChangeView[] = [];
    for (const ledger of this.ledgers.allAccess()) {
      for (const change of await ledger.consentHistory(patientKey)) {
        views.push({
          chain: ledger.chain,
          action: change.action,
          providerId: providerIds.get(bytesToHex(change.providerKey)) ?? null,
          expiresAt: change.expiresAt ? change.expiresAt.toISOString() : null,
          nonce: change.nonce.toString(),
          message: toHex0x(change.message),
          r: toHex0x(change.r),
          s: toHex0x(change.s),
          at: change.at.toISOString(),
          transaction: change.transaction,
        });
      }
    }
    return views;
  }
}
