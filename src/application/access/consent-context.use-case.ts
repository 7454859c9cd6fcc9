import { bytesToHex, toBase64, toHex0x } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { consentInForce } from '../../domain/consent';
import { KeysNotRegisteredError, ValidationFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { parseProviderId, Principal, principalRef } from '../../domain/principal';
import { requirePatientSelf } from './consent-view';

export interface ConsentContextView {
  readonly patientKey: string;
  /** `providerKey`: the provider's pseudonym (0x, 32 bytes), a field of the signed message. */
  readonly provider: ConsentParty | null;
  readonly ledgers: { chain: ChainName; chainId: string; registry: string; nonce: string }[];
  readonly epoch: { index: number; publicKey: string; slots: string[] };
  /** Providers whose consent is in force on at least one ledger, with the keys their epoch slots are sealed to. */
  readonly consented: ConsentParty[];
}

export interface ConsentParty {
  readonly id: string;
  readonly publicKey: string;
  readonly providerKey: string;
}

/**
 * What the patient's browser needs to build and sign a grant or a revoke (issue 14 spec, part B2):
 * per ledger the chain id, registry and next nonce (each in the signed message), the current epoch
 * with its slots (the browser opens its own to seal the provider's), the provider's public key,
 * and the providers still consented (a revoke's new epoch has a slot for each).
 */
export class ConsentContextUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly keyVault: KeyVault,
    private readonly clock: Clock,
  ) {}

  async execute(input: { actor: Principal; patientId: string; providerId?: unknown }): Promise<ConsentContextView> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const provider =
      input.providerId === undefined || input.providerId === '' ? null : await this.provider(input.providerId);
    const ledgers = this.ledgers.allAccess();
    const perLedger = await Promise.all(
      ledgers.map(async (ledger) => {
        const [domain, nonce] = await Promise.all([ledger.consentDomain(), ledger.consentNonce(patientKey)]);
        return {
          chain: ledger.chain,
          chainId: domain.chainId.toString(),
          registry: domain.registry,
          nonce: nonce.toString(),
        };
      }),
    );
    const epochs = await ledgers[0].epochs(patientKey);
    const current = epochs.at(-1);
    if (!current) throw new KeysNotRegisteredError('Set up your keys first: consent is signed with your own key.');
    return {
      patientKey: toHex0x(patientKey),
      provider,
      ledgers: perLedger,
      epoch: { index: current.index, publicKey: toHex0x(current.publicKey), slots: current.slots.map(toBase64) },
      consented: await this.consented(patientKey),
    };
  }

  private async provider(raw: unknown): Promise<ConsentParty> {
    const providerId = parseProviderId(raw);
    const keys = (await this.principals.find('provider', providerId))
      ? await this.keyVault.keyPair(principalRef('provider', providerId))
      : null;
    if (!keys) throw new ValidationFailedError('No provider with this id exists.', 'providerId');
    return {
      id: providerId,
      publicKey: toHex0x(keys.publicKey),
      providerKey: toHex0x(this.pseudonymizer.providerKey(providerId)),
    };
  }

  private async consented(patientKey: Uint8Array): Promise<ConsentParty[]> {
    const now = this.clock.now();
    const inForce = new Set<string>();
    for (const ledger of this.ledgers.allAccess()) {
      for (const consent of await ledger.consentsOf(patientKey)) {
        if (consentInForce(consent, now)) inForce.add(bytesToHex(consent.providerKey));
      }
    }
    const consented: ConsentParty[] = [];
    for (const provider of await this.principals.list('provider')) {
      const providerKey = this.pseudonymizer.providerKey(provider.id);
      if (!inForce.has(bytesToHex(providerKey))) continue;
      const keys = await this.keyVault.keyPair(principalRef('provider', provider.id));
      if (keys)
        consented.push({ id: provider.id, publicKey: toHex0x(keys.publicKey), providerKey: toHex0x(providerKey) });
    }
    return consented;
  }
}
