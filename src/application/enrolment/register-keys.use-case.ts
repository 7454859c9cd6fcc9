import { bytesEqual, bytesToHex } from '../../domain/bytes';
import {
  ForbiddenError,
  KeyProofInvalidError,
  KeysAlreadyRegisteredError,
  KeysNotRegisteredError,
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
import { AccessLedger, EpochData } from '../../domain/ports/access-ledger.port';
import { Cipher } from '../../domain/ports/cipher.port';
import { Clock } from '../../domain/ports/clock.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { Principal } from '../../domain/principal';
import { parseEpochData } from '../access/consent-signatures';
import { PatientRewrap } from '../records/patient-rewrap';
import { assertP256Point } from './p256-point';

export interface RegisterKeysInput {
  readonly actor: Principal;
  readonly encryptionPublicKey: unknown;
  readonly signingPublicKey: unknown;
  readonly proof: unknown;
  readonly backup: unknown;
  /** `{ publicKey, slots: [base64] }`: epoch 0, made in the browser, with the patient's own slot. */
  readonly epoch: unknown;
}

export interface RegisteredKeys {
  readonly encryptionPublicKey: string;
  readonly signingPublicKey: string;
  readonly registeredAt: string;
  /** How many records uploaded before the registration were given a slot for the patient's key. */
  readonly rewrapped: number;
}

/**
 * A patient registers the public keys their browser generated (once): the signing key signs the
 * registration (KEY_PROOF_INVALID otherwise), the encryption key is published on every ledger and
 * the signing key registered there with epoch 0 (issue 14: consent changes are signed with it), the
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
    const epoch = parseEpochData(input.epoch);
    await assertP256Point(this.cipher, encryptionPublicKey, 'encryptionPublicKey');
    const message = keyRegistrationMessage(actor.id, encryptionPublicKey, signingPublicKey);
    if (!(await this.signer.verifyWithPublicKey(message, proof, signingPublicKey))) {
      throw new KeyProofInvalidError('proof is not a signature of this registration by signingPublicKey.');
    }

    const patientKey = this.pseudonymizer.patientKey(PatientId.parse(actor.id));
    await Promise.all(
      this.ledgers.allAccess().map(async (ledger) => {
        await ledger.publishPublicKey(patientKey, encryptionPublicKey);
        await this.registerSigningKey(ledger, patientKey, signingPublicKey, epoch);
      }),
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

  /**
   * The signing key and epoch 0 on one ledger (the contract takes them once). A retry after a
   * failure elsewhere finds this ledger holding the same signing key already and goes on; a
   * different one there is refused.
   */
  private async registerSigningKey(
    ledger: AccessLedger,
    patientKey: Uint8Array,
    signingPublicKey: Uint8Array,
    epoch: EpochData,
  ): Promise<void> {
    const registered = await ledger.patientSigningKey(patientKey);
    if (registered === null) return ledger.registerPatientKey(patientKey, signingPublicKey, epoch);
    if (!bytesEqual(registered, signingPublicKey)) {
      throw new KeysAlreadyRegisteredError(`${ledger.chain} holds another signing key for you already.`);
    }
  }
}
