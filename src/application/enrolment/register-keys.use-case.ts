import { bytesToHex, utf8 } from '../../domain/bytes';
import {
  ForbiddenError,
  InvalidKeyError,
  KeyProofInvalidError,
  KeysAlreadyRegisteredError,
  KeysNotRegisteredError,
  ValidationFailedError,
} from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import {
  keyRegistrationMessage,
  MAX_KEY_BACKUP_BYTES,
  P256_PUBLIC_KEY_BYTES,
  P256_SIGNATURE_BYTES,
  parseBase64,
  parseHexBytes,
} from '../../domain/patient-keys';
import { PatientId } from '../../domain/patient-id';
import { Cipher } from '../../domain/ports/cipher.port';
import { Clock } from '../../domain/ports/clock.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { Principal } from '../../domain/principal';
import { PatientRewrap } from '../records/patient-rewrap';

export interface RegisterKeysInput {
  readonly actor: Principal;
  readonly encryptionPublicKey: unknown;
  readonly signingPublicKey: unknown;
  readonly proof: unknown;
  readonly backup: unknown;
}

export interface RegisteredKeys {
  readonly encryptionPublicKey: string;
  readonly signingPublicKey: string;
  readonly registeredAt: string;
  /** How many records uploaded before the registration were given a slot for the patient's key. */
  readonly rewrapped: number;
}

/** Binds the validation seal below to its use: nothing is kept of it. */
const KEY_CHECK_AAD = utf8('patient-centric-emr/register-keys/point-check');

/**
 * A patient registers the public keys their browser generated (once): the signing key signs the
 * registration (KEY_PROOF_INVALID otherwise), the encryption key is published on every ledger, the
 * opaque backup (wrapped under the patient's recovery code) is kept for restoring on another
 * device, and records providers uploaded before now get a slot for the patient (PatientRewrap).
 * The private keys never reach the service.
 */
export class RegisterKeysUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly cipher: Cipher,
    private readonly signer: RecordSigner,
    private readonly rewrap: PatientRewrap,
    private readonly clock: Clock,
  ) {}

  async execute(input: RegisterKeysInput): Promise<RegisteredKeys> {
    const { actor } = input;
    if (actor.role !== 'patient') throw new ForbiddenError('Only patients register keys.');
    const encryptionPublicKey = parseHexBytes(input.encryptionPublicKey, P256_PUBLIC_KEY_BYTES, 'encryptionPublicKey');
    const signingPublicKey = parseHexBytes(input.signingPublicKey, P256_PUBLIC_KEY_BYTES, 'signingPublicKey');
    const proof = parseHexBytes(input.proof, P256_SIGNATURE_BYTES, 'proof');
    const backup = parseBase64(input.backup, MAX_KEY_BACKUP_BYTES, 'backup');
    if ((await this.principals.find('patient', actor.id))?.keys) {
      throw new KeysAlreadyRegisteredError('Your keys are registered already; they cannot be replaced this way.');
    }
    await this.assertEncryptionKey(encryptionPublicKey);
    const message = keyRegistrationMessage(actor.id, encryptionPublicKey, signingPublicKey);
    if (!(await this.signer.verifyWithPublicKey(message, proof, signingPublicKey))) {
      throw new KeyProofInvalidError('proof is not a signature of this registration by signingPublicKey.');
    }

    const patientKey = this.pseudonymizer.patientKey(PatientId.parse(actor.id));
    await Promise.all(
      this.ledgers.allAccess().map((ledger) => ledger.publishPublicKey(patientKey, encryptionPublicKey)),
    );
    const registeredAt = this.clock.now();
    const keys = { encryptionPublicKey, signingPublicKey, registeredAt };
    if (!(await this.principals.registerKeys(actor.id, keys, backup))) {
      throw new KeysAlreadyRegisteredError('Your keys are registered already; they cannot be replaced this way.');
    }
    const patient = await this.principals.find('patient', actor.id);
    if (!patient) throw new KeysNotRegisteredError('The patient is no longer enrolled.');
    const { rewrapped } = await this.rewrap.rewrapAll(patient, patientKey);
    return {
      encryptionPublicKey: `0x${bytesToHex(encryptionPublicKey)}`,
      signingPublicKey: `0x${bytesToHex(signingPublicKey)}`,
      registeredAt: registeredAt.toISOString(),
      rewrapped,
    };
  }

  /** A key that is not a P-256 point cannot be sealed to: found out now rather than at the first upload. */
  private async assertEncryptionKey(publicKey: Uint8Array): Promise<void> {
    try {
      await this.cipher.sealDataKey({ bytes: new Uint8Array(32) }, [publicKey], KEY_CHECK_AAD);
    } catch (error) {
      if (error instanceof InvalidKeyError) {
        throw new ValidationFailedError('encryptionPublicKey is not a P-256 public key.', 'encryptionPublicKey');
      }
      throw error;
    }
  }
}
