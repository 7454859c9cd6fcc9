import { toBase64, toHex0x } from '../../domain/bytes';
import { ForbiddenError, KeysNotRegisteredError } from '../../domain/errors';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Principal } from '../../domain/principal';

/**
 * The patient's key backup, for restoring their keys on another device (or after clearing the
 * browser). It is useless without the recovery code, which the service never sees.
 */
export class GetKeyBackupUseCase {
  constructor(private readonly principals: PrincipalRepository) {}

  async execute(actor: Principal): Promise<{
    backup: string;
    encryptionPublicKey: string;
    signingPublicKey: string;
    formerSigningKeys: string[];
  }> {
    if (actor.role !== 'patient') throw new ForbiddenError('Only patients have a key backup.');
    const patient = await this.principals.find('patient', actor.id);
    const backup = await this.principals.keyBackup(actor.id);
    if (!patient?.keys || !backup) throw new KeysNotRegisteredError('You have not set up your keys yet.');
    return {
      backup: toBase64(backup),
      encryptionPublicKey: toHex0x(patient.keys.encryptionPublicKey),
      signingPublicKey: toHex0x(patient.keys.signingPublicKey),
      // Replaced signing keys (oldest first): a restored device still verifies the patient's earlier uploads.
      formerSigningKeys: (patient.keys.formerSigningKeys ?? []).map((key) => toHex0x(key)),
    };
  }
}
