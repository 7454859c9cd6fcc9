import { AccessKind } from '../../domain/access-log';
import { parseBreakGlassReason } from '../../domain/break-glass-reason';
import { ChainName } from '../../domain/chain-name';
import { consentInForce } from '../../domain/consent';
import { LedgerRecord } from '../../domain/emr-record';
import {
  ConsentRequiredError,
  ForbiddenError,
  PatientNotFoundError,
  RecordNotSharedError,
  SealedReadRequiredError,
  SealedUploadRequiredError,
} from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Cipher, KeyPair } from '../../domain/ports/cipher.port';
import { Clock } from '../../domain/ports/clock.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal, principalRef } from '../../domain/principal';
import { recordAad } from '../../domain/record-codec';
import { AccessNoteKey } from './access-note-key';
import { BreakGlassBudget } from './break-glass-budget';
import { currentEpochOf } from './current-epoch';
import { EpochKeys } from './epoch-keys';
import { RecordCustodians } from './record-custodians';

/** Who is reading a patient's records, resolved once per request. */
export interface ReadScope {
  readonly actor: Principal;
  readonly patient: Principal;
  readonly patientId: PatientId;
  readonly patientKey: Uint8Array;
  /** The ledger this scope was resolved on (consent, epochs). */
  readonly chain: ChainName;
  /** The provider's own keys; null for the patient (who reads sealed records and decrypts them in the browser). */
  readonly providerKeys: KeyPair | null;
  readonly providerKey: Uint8Array | null;
  /** Set when the reader may see every record of the patient on this ledger (not only its own uploads). */
  readonly wholeRecordKind: 'patient' | 'consent' | 'emergency' | null;
  readonly reason: string | null;
  /** Whom an access-log note about this read is sealed to: the service's note key, and the patient's key once registered. */
  readonly noteRecipients: Uint8Array[];
}

/** Per record: the key the service opens it with for this reader, and how the read is logged. */
export interface RecordAccess {
  readonly keys: KeyPair;
  readonly logKind: AccessKind;
}

/**
 * The patient-centric rules for reading and writing, in one place:
 * - a patient reads and uploads only their own records, and only sealed: the service holds no
 *   patient private key, so it can neither open their records for them nor seal plaintext for them;
 * - a provider uploads for enrolled patients (sealed to the patient's registered key and its own),
 *   reads records sealed to its own key (its uploads), and any record of the patient it can reach
 *   while the patient's consent is in force on that ledger — or with a break-glass reason, logged
 *   as an emergency and spending one of the provider's emergency reads for the hour. Such a read is
 *   served through the slot of a provider the service is custodian of (the record's uploader); a
 *   record the patient sealed without that provider has none and is refused (RECORD_NOT_SHARED);
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
    private readonly noteKey: AccessNoteKey,
    private readonly epochKeys: EpochKeys,
    private readonly custodians: RecordCustodians,
  ) {}

  /**
   * For a provider's upload: the keys to seal to — the patient's current epoch key and the
   * provider's own once the patient has epochs (issue 14); before that the patient's registered
   * key (if any) and the provider's own.
   */
  async writeScope(actor: Principal, patientId: PatientId): Promise<{ recipients: Uint8Array[]; uploader: string }> {
    assertOwnRecords(actor, patientId);
    if (actor.role === 'patient') {
      throw new SealedUploadRequiredError(
        'Patients upload sealed records (POST /api/v1/patients/{id}/sealed-records): the page seals them in your browser.',
      );
    }
    const patient = await this.enrolledPatient(actor, patientId);
    const providerKeys = await this.providerKeys(actor);
    const epoch = patient.keys ? await currentEpochOf(this.ledgers, this.pseudonymizer.patientKey(patientId)) : null;
    const patientPublicKey = epoch?.publicKey ?? patient.keys?.encryptionPublicKey;
    return {
      recipients: patientPublicKey ? [patientPublicKey, providerKeys.publicKey] : [providerKeys.publicKey],
      uploader: actor.id,
    };
  }

  /** The patient reading their own records sealed (their keys are in their browser). */
  async sealedScope(actor: Principal, patientId: PatientId): Promise<{ patient: Principal; patientKey: Uint8Array }> {
    if (actor.role !== 'patient') {
      throw new ForbiddenError('Sealed records are for the patient; providers read through /records.');
    }
    const patient = await this.enrolledPatient(actor, patientId);
    return { patient, patientKey: this.pseudonymizer.patientKey(patientId) };
  }

  /** For the endpoints that serve plaintext: a patient is sent to the sealed ones (another patient's records stay 403). */
  assertPlaintextReader(actor: Principal, patientId: string): void {
    if (actor.role === 'patient' && actor.id === patientId) {
      throw new SealedReadRequiredError(
        'Patients read their records sealed (GET /api/v1/patients/{id}/sealed-records) and decrypt them in the browser.',
      );
    }
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
    const patient = await this.enrolledPatient(actor, patientId);
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const noteRecipients = [this.noteKey.keys.publicKey];
    if (patient.keys) noteRecipients.push(patient.keys.encryptionPublicKey);
    const base = { actor, patient, patientId, patientKey, chain, noteRecipients };
    if (actor.role === 'patient') {
      return { ...base, providerKeys: null, providerKey: null, wholeRecordKind: 'patient', reason: null };
    }
    const providerKeys = await this.providerKeys(actor);
    const providerKey = this.pseudonymizer.providerKey(actor.id);
    const consent = await this.ledgers.access(chain).consentFor(patientKey, providerKey);
    const consented = consent !== null && consentInForce(consent, this.clock.now());
    const wholeRecordKind = consented ? 'consent' : breakGlass ? 'emergency' : null;
    if (wholeRecordKind === 'emergency' && spendBudget) this.breakGlassBudget.spend(actor.id);
    return { ...base, providerKeys, providerKey, wholeRecordKind, reason: breakGlass };
  }

  /**
   * Whether the service may open this record for this reader, and with which key; null when it may
   * not, or nobody the service keeps can open it. Always null for the patient: the service cannot
   * open their records for them (see assertPlaintextReader).
   */
  async recordAccess(scope: ReadScope, record: LedgerRecord): Promise<RecordAccess | null> {
    if (!scope.providerKeys) return null;
    const aad = recordAad(scope.patientKey, record.recordId);
    if (await this.cipher.tryUnwrap([record.keyEnvelope], scope.providerKeys, aad)) {
      return { keys: scope.providerKeys, logKind: 'own-upload' };
    }
    if (scope.wholeRecordKind === 'consent') {
      const epochKey = await this.epochKeyFor(scope, record, aad);
      if (epochKey) return { keys: epochKey, logKind: 'consent' };
    }
    if (scope.wholeRecordKind === 'consent' || scope.wholeRecordKind === 'emergency') {
      const custodian = await this.custodians.find(scope.patient, record, aad);
      return custodian ? { keys: custodian.keys, logKind: scope.wholeRecordKind } : null;
    }
    return null;
  }

  /**
   * A consented provider's own epoch key (newest epoch first) that opens this record, or null.
   * The record's added envelopes are not tried: they are re-wraps to named keys, never to epochs.
   */
  private async epochKeyFor(scope: ReadScope, record: LedgerRecord, aad: Uint8Array): Promise<KeyPair | null> {
    if (!scope.providerKeys || !scope.patient.keys) return null;
    // Epoch keys this reader opened before come first: an epoch key never changes, and consent was
    // checked on the ledger for this very read, so only a record of a newer epoch reads the ledger.
    const remembered = this.epochKeys.remembered(scope.patientKey, scope.providerKeys);
    for (const key of remembered) {
      if (await this.cipher.tryUnwrap([record.keyEnvelope], key, aad)) return key;
    }
    const keys = await this.epochKeys.of(this.ledgers.access(scope.chain), scope.patientKey, scope.providerKeys);
    for (const key of keys) {
      if (remembered.includes(key)) continue;
      if (await this.cipher.tryUnwrap([record.keyEnvelope], key, aad)) return key;
    }
    return null;
  }

  async requireRecordAccess(scope: ReadScope, record: LedgerRecord): Promise<RecordAccess> {
    this.assertPlaintextReader(scope.actor, scope.patientId.value);
    const access = await this.recordAccess(scope, record);
    if (access) return access;
    if (scope.wholeRecordKind === 'consent' || scope.wholeRecordKind === 'emergency') {
      throw new RecordNotSharedError(
        'This record is sealed only to the patient (and the providers they chose): the service holds no key that opens it.',
      );
    }
    throw new ConsentRequiredError(
      "The patient's consent is required to read this record (or an emergency reason in X-Break-Glass-Reason).",
    );
  }

  private async enrolledPatient(actor: Principal, patientId: PatientId): Promise<Principal> {
    assertOwnRecords(actor, patientId);
    const patient = await this.principals.find('patient', patientId.value);
    if (!patient) throw new PatientNotFoundError('No patient with this id is enrolled.');
    return patient;
  }

  private async providerKeys(actor: Principal): Promise<KeyPair> {
    const keys = await this.keyVault.keyPair(principalRef('provider', actor.id));
    if (!keys) throw new ForbiddenError('This provider has no keys; ask the operator to re-create it.');
    return keys;
  }
}

/** The operator reads and writes nothing medical; a patient only their own records. */
function assertOwnRecords(actor: Principal, patientId: PatientId): void {
  if (actor.role === 'admin') throw new ForbiddenError('The operator cannot read or write medical records.');
  if (actor.role === 'patient' && actor.id !== patientId.value) {
    throw new ForbiddenError('A patient can only access their own records.');
  }
}
