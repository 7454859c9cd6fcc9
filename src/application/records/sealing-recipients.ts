import { bytesToHex } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { consentInForce } from '../../domain/consent';
import { KeysNotRegisteredError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { Clock } from '../../domain/ports/clock.port';
import { KeyPair } from '../../domain/ports/cipher.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal, principalRef } from '../../domain/principal';
import { currentEpochOf } from '../access/current-epoch';

export interface SealingRecipient {
  /** 'epoch': the patient's current epoch key (id `epoch-<index>`). */
  readonly role: 'patient' | 'provider' | 'epoch';
  readonly id: string;
  readonly publicKey: Uint8Array;
}

/**
 * Whom a patient's own upload must be sealed to: the patient's registered key first, then the
 * patient's current epoch key once the patient has epochs (issue 14: the consented providers hold
 * slots of it, so they read what the patient adds, and a revoked one does not read what comes
 * after). Before epochs: every provider whose consent is in force on at least one of the target
 * ledgers.
 */
export class SealingRecipients {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly keyVault: KeyVault,
    private readonly clock: Clock,
  ) {}

  async of(patient: Principal, patientKey: Uint8Array, chains: readonly ChainName[]): Promise<SealingRecipient[]> {
    if (!patient.keys) {
      throw new KeysNotRegisteredError('Set up your keys first: records are sealed to your own key.');
    }
    const self: SealingRecipient = { role: 'patient', id: patient.id, publicKey: patient.keys.encryptionPublicKey };
    const epoch = await currentEpochOf(this.ledgers, patientKey);
    if (epoch) return [self, { role: 'epoch', id: `epoch-${epoch.index}`, publicKey: epoch.publicKey }];
    const recipients: SealingRecipient[] = [self];
    for (const provider of await this.consentedProviders(patientKey, chains)) {
      recipients.push({ role: 'provider', id: provider.id, publicKey: provider.keys.publicKey });
    }
    return recipients;
  }

  /**
   * The providers the service keeps keys for whose consent is in force on at least one of the
   * target ledgers, with their key pairs.
   */
  async consentedProviders(
    patientKey: Uint8Array,
    chains: readonly ChainName[],
  ): Promise<{ id: string; keys: KeyPair }[]> {
    const consented = new Set<string>();
    const now = this.clock.now();
    for (const chain of chains) {
      for (const consent of await this.ledgers.access(chain).consentsOf(patientKey)) {
        if (consentInForce(consent, now)) consented.add(bytesToHex(consent.providerKey));
      }
    }
    const providers: { id: string; keys: KeyPair }[] = [];
    for (const provider of await this.principals.list('provider')) {
      if (!consented.has(bytesToHex(this.pseudonymizer.providerKey(provider.id)))) continue;
      const keys = await this.keyVault.keyPair(principalRef('provider', provider.id));
      if (keys) providers.push({ id: provider.id, keys });
    }
    return providers;
  }
}
