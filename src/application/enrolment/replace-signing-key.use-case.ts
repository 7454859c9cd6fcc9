import { bytesEqual, toHex0x } from '../../domain/bytes';
import { ForbiddenError, KeysNotRegisteredError, ValidationFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { MAX_KEY_BACKUP_BYTES, P256_PUBLIC_KEY_BYTES, parseBase64, parseHexBytes } from '../../domain/patient-keys';
import { PatientId } from '../../domain/patient-id';
import { AccessLedger } from '../../domain/ports/access-ledger.port';
import { Cipher } from '../../domain/ports/cipher.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { patientSigningKeys, Principal } from '../../domain/principal';
import { parseConsentSignatures } from '../access/consent-signatures';
import { assertP256Point } from './p256-point';

export interface ReplaceSigningKeyInput {
  readonly actor: Principal;
  /** 0x-hex, 65 bytes: the new P-256 ECDSA public key, made in the patient's browser. */
  readonly signingPublicKey: unknown;
  /** `{ "<chain>": { nonce, r, s } }`: the replacement signed by the CURRENT key for each ledger (action 3). */
  readonly signatures: unknown;
  /** base64: both private keys re-wrapped under the patient's recovery code (the new signing key inside). */
  readonly backup: unknown;
}

export interface ReplacedSigningKey {
  readonly signingPublicKey: string;
  /** The keys replaced so far, oldest first: the patient's earlier uploads name one of them. */
  readonly formerSigningKeys: string[];
}

/**
 * A patient replaces their signing key (issue 14): the change is signed by the current key in
 * their browser, one signature per ledger (chain id and registry are in the message), and the
 * service relays it; each ledger's contract checks it. Every ledger is dry-run first, so one that
 * refuses (422 CONSENT_SIGNATURE_INVALID) leaves all unwritten; the principal's key and backup
 * change only after every ledger accepted. The replaced key is kept as a former key so records the
 * patient signed with it still verify.
 */
export class ReplaceSigningKeyUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly cipher: Cipher,
  ) {}

  async execute(input: ReplaceSigningKeyInput): Promise<ReplacedSigningKey> {
    const { actor } = input;
    if (actor.role !== 'patient') throw new ForbiddenError('Only patients replace their signing key.');
    const signingPublicKey = parseHexBytes(input.signingPublicKey, P256_PUBLIC_KEY_BYTES, 'signingPublicKey');
    const backup = parseBase64(input.backup, MAX_KEY_BACKUP_BYTES, 'backup');
    const ledgers = this.ledgers.allAccess();
    const signatures = parseConsentSignatures(
      input.signatures,
      ledgers.map((ledger) => ledger.chain),
    );
    const patient = await this.principals.find('patient', actor.id);
    if (!patient?.keys) throw new KeysNotRegisteredError('Register your keys before replacing your signing key.');
    // A key used before would make two key ids name one key's records ambiguous in history: a new one only.
    if (patientSigningKeys(patient.keys).some((key) => bytesEqual(key, signingPublicKey))) {
      throw new ValidationFailedError('signingPublicKey is your current or a former signing key.', 'signingPublicKey');
    }
    // A point off the curve would be accepted by the contract and lock the patient out of every later change.
    await assertP256Point(this.cipher, signingPublicKey, 'signingPublicKey');

    const patientKey = this.pseudonymizer.patientKey(PatientId.parse(actor.id));
    const pending = await this.ledgersToWrite(ledgers, patientKey, signingPublicKey);
    await Promise.all(
      pending.map((ledger) =>
        ledger.checkReplacePatientKey(patientKey, signingPublicKey, signatures.get(ledger.chain)!),
      ),
    );
    await Promise.all(
      pending.map((ledger) => ledger.replacePatientKey(patientKey, signingPublicKey, signatures.get(ledger.chain)!)),
    );
    if (!(await this.principals.replaceSigningKey(actor.id, signingPublicKey, backup))) {
      throw new KeysNotRegisteredError('The patient is no longer enrolled.');
    }
    const replaced = await this.principals.find('patient', actor.id);
    return {
      signingPublicKey: toHex0x(signingPublicKey),
      formerSigningKeys: (replaced?.keys?.formerSigningKeys ?? []).map(toHex0x),
    };
  }

  /**
   * The ledgers still holding another key. A retry after a failure on one ledger finds the others
   * holding the new key already (their nonce spent) and writes only the rest.
   */
  private async ledgersToWrite(
    ledgers: readonly AccessLedger[],
    patientKey: Uint8Array,
    signingPublicKey: Uint8Array,
  ): Promise<AccessLedger[]> {
    const current = await Promise.all(ledgers.map((ledger) => ledger.patientSigningKey(patientKey)));
    return ledgers.filter((_, index) => {
      const registered = current[index];
      return registered === null || !bytesEqual(registered, signingPublicKey);
    });
  }
}
