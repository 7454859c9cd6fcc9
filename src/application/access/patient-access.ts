import { AccessKind } from '../../domain/access-log';
import { parseBreakGlassReason } from '../../domain/break-glass-reason';
import { ChainName } from '../../domain/chain-name';
import { consentInForce } from '../../domain/consent';
import { LedgerRecord } from '../../domain/emr-record';
import { ConsentRequiredError, ForbiddenError, PatientNotFoundError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Cipher, KeyPair } from '../../domain/ports/cipher.port';
import { Clock } from '../../domain/ports/clock.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal, principalRef } from '../../domain/principal';
import { recordAad } from '../../domain/record-codec';
import { BreakGlassBudget } from './break-glass-budget';

/** Who is reading a patient's records, resolved once per request. */
export interface ReadScope {
  readonly actor: Principal;
  readonly patientId: PatientId;
  readonly patientKey: Uint8Array;
  readonly patientKeys: KeyPair;
  /** The provider's own keys; null for the patient. */
  readonly providerKeys: KeyPair | null;
  readonly providerKey: Uint8Array | null;
  /** Set when the reader may see every record of the patient on this ledger (not only its own uploads). */
  readonly wholeRecordKind: 'patient' | 'consent' | 'emergency' | null;
  readonly reason: string | null;
}

/** Per record: the key to open it with, and how the read is logged (null: the patient's own read). */
export interface RecordAccess {
  readonly keys: KeyPair;
  readonly logKind: AccessKind | null;
}

/**
 * The patient-centric rules for reading and writing, in one place:
 * - a patient reads and uploads only their own records;
 * - a provider uploads for enrolled patients, reads records sealed to its own key (its
 *   uploads), and any record of the patient while the patient's consent for it is in
 *   force on that ledger — or with a break-glass reason, which is logged as an emergency
 *   and spends one of the provider's emergency reads for the hour (BreakGlassBudget);
 * - the operator (admin) reads nothing medical.
 * Consent is read from the ledger on every request, so a revoke takes effect on the next read.
 */
export class PatientAccess {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly keyVault: KeyVault,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly breakGlassBudget: BreakGlassBudget,
  ) {}

  /** For uploads: the actor may write for this patient; returns the keys to seal to. */
  async writeScope(actor: Principal, patientId: PatientId): Promise<{ recipients: Uint8Array[]; uploader: string }> {
    const patientKeys = await this.enrolledPatientKeys(actor, patientId);
    if (actor.role === 'patient') return { recipients: [patientKeys.publicKey], uploader: actor.id };
    const providerKeys = await this.providerKeys(actor);
    return { recipients: [patientKeys.publicKey, providerKeys.publicKey], uploader: actor.id };
  }

  async readScope(
    actor: Principal,
    patientId: PatientId,
    chain: ChainName,
    reason: string | undefined,
    /** false: one request reading several ledgers has spent its emergency read on the first already. */
    spendBudget = true,
  ): Promise<ReadScope> {
    const breakGlass = parseBreakGlassReason(reason);
    const patientKeys = await this.enrolledPatientKeys(actor, patientId);
    const patientKey = this.pseudonymizer.patientKey(patientId);
    if (actor.role === 'patient') {
      return {
        actor,
        patientId,
        patientKey,
        patientKeys,
        providerKeys: null,
        providerKey: null,
        wholeRecordKind: 'patient',
        reason: null,
      };
    }
    const providerKeys = await this.providerKeys(actor);
    const providerKey = this.pseudonymizer.providerKey(actor.id);
    const consent = await this.ledgers.access(chain).consentFor(patientKey, providerKey);
    const consented = consent !== null && consentInForce(consent, this.clock.now());
    const wholeRecordKind = consented ? 'consent' : breakGlass ? 'emergency' : null;
    if (wholeRecordKind === 'emergency' && spendBudget) this.breakGlassBudget.spend(actor.id);
    return {
      actor,
      patientId,
      patientKey,
      patientKeys,
      providerKeys,
      providerKey,
      wholeRecordKind,
      reason: breakGlass,
    };
  }

  /**
   * Whether this record may be read, and with which key; null when it may not. A provider's own
   * upload is one its key opens a slot of: v2 envelopes name no recipient, so it takes a trial unwrap.
   */
  async recordAccess(scope: ReadScope, record: LedgerRecord): Promise<RecordAccess | null> {
    if (scope.wholeRecordKind === 'patient') return { keys: scope.patientKeys, logKind: null };
    if (scope.providerKeys && (await this.isOwnUpload(scope, scope.providerKeys, record))) {
      return { keys: scope.providerKeys, logKind: 'own-upload' };
    }
    if (scope.wholeRecordKind === 'consent' || scope.wholeRecordKind === 'emergency') {
      return { keys: scope.patientKeys, logKind: scope.wholeRecordKind };
    }
    return null;
  }

  async requireRecordAccess(scope: ReadScope, record: LedgerRecord): Promise<RecordAccess> {
    const access = await this.recordAccess(scope, record);
    if (!access) {
      throw new ConsentRequiredError(
        "The patient's consent is required to read this record (or an emergency reason in X-Break-Glass-Reason).",
      );
    }
    return access;
  }

  private async isOwnUpload(scope: ReadScope, providerKeys: KeyPair, record: LedgerRecord): Promise<boolean> {
    const aad = recordAad(scope.patientKey, record.recordId);
    return (await this.cipher.tryUnwrap([record.keyEnvelope], providerKeys, aad)) !== null;
  }

  private async enrolledPatientKeys(actor: Principal, patientId: PatientId): Promise<KeyPair> {
    if (actor.role === 'admin') throw new ForbiddenError('The operator cannot read or write medical records.');
    if (actor.role === 'patient' && actor.id !== patientId.value) {
      throw new ForbiddenError('A patient can only access their own records.');
    }
    const patient = await this.principals.find('patient', patientId.value);
    const keys = patient ? await this.keyVault.keyPair(principalRef('patient', patientId.value)) : null;
    if (!keys) throw new PatientNotFoundError('No patient with this id is enrolled.');
    return keys;
  }

  private async providerKeys(actor: Principal): Promise<KeyPair> {
    const keys = await this.keyVault.keyPair(principalRef('provider', actor.id));
    if (!keys) throw new ForbiddenError('This provider has no keys; ask the operator to re-create it.');
    return keys;
  }
}
