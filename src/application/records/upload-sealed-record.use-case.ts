import { bytesEqual, bytesToHex } from '../../domain/bytes';
import { ChainName, parseWriteTarget } from '../../domain/chain-name';
import { LedgerRecord, NewLedgerRecord } from '../../domain/emr-record';
import {
  ChainUnavailableError,
  DecryptionFailedError,
  DuplicateRecordError,
  EnvelopeMalformedError,
  KeysNotRegisteredError,
  PayloadTooLargeError,
  RecipientsMismatchError,
  RecordExistsError,
  SignatureInvalidError,
  ValidationFailedError,
} from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { P256_PUBLIC_KEY_BYTES, P256_SIGNATURE_BYTES, parseHexBytes } from '../../domain/patient-keys';
import { PatientId } from '../../domain/patient-id';
import { Cipher, KeyPair } from '../../domain/ports/cipher.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { Principal, principalRef } from '../../domain/principal';
import { recordAad, recordSigningPayload } from '../../domain/record-codec';
import { RecordId } from '../../domain/record-id';
import { EpochKeys } from '../access/epoch-keys';
import { PatientAccess } from '../access/patient-access';
import { ReplicaCopier } from '../replication/replica-copier';
import { HEADER_PART } from './record-opener';
import { SealingRecipients } from './sealing-recipients';
import { UploadPolicy } from './upload-policy';

/** A sealed header holds a small JSON (name, type, size, digests): this bounds it, tag included. */
export const MAX_SEALED_HEADER_BYTES = 4096 + 16;
const GCM_TAG_BYTES = 16;

export interface UploadSealedRecordInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly chain: unknown;
  readonly recordId: unknown;
  readonly content: Uint8Array | undefined;
  readonly sealedHeader: Uint8Array;
  readonly keyEnvelope: Uint8Array;
  /** JSON-decoded: an array of 0x-hex public keys, the patient's first. */
  readonly recipients: unknown;
  /** JSON-decoded: `{ "<chain>": "0x…" }`, one signature per target ledger. */
  readonly signatures: unknown;
}

export interface SealedUploadResult {
  readonly patientId: string;
  readonly target: ChainName | 'both';
  readonly complete: boolean;
  /** Committed copies, in the order of the target's chains; pending ones are owed by the journal. */
  readonly committed: LedgerRecord[];
  readonly pending: ChainName[];
}

/**
 * Stores a record the patient sealed and signed in their browser. The service never sees its
 * plaintext; it checks what it can before writing anything: sizes, that the envelope is v2 with
 * one slot per declared recipient, that the recipients are the patient's registered key and the
 * current epoch key (before epochs: the providers holding consent now; SealingRecipients), that
 * each provider slot opens the sealed header (the service holds those keys) and so does the epoch
 * slot (through a consented provider's slot of the epoch), and that each target ledger's signature verifies under
 * the patient's registered signing key. Then it appends as an upload does (a ledger that is down
 * for `both` is owed the copy through the journal, signed by the patient as well).
 */
export class UploadSealedRecordUseCase {
  constructor(
    private readonly access: PatientAccess,
    private readonly recipients: SealingRecipients,
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly signer: RecordSigner,
    private readonly hasher: Hasher,
    private readonly keyVault: KeyVault,
    private readonly copier: ReplicaCopier,
    private readonly policy: UploadPolicy,
    private readonly epochKeys: EpochKeys,
  ) {}

  async execute(input: UploadSealedRecordInput): Promise<SealedUploadResult> {
    const patientId = PatientId.parse(input.patientId);
    const { patient, patientKey } = await this.access.sealedScope(input.actor, patientId);
    const keys = patient.keys;
    if (!keys) throw new KeysNotRegisteredError('Set up your keys first: your records are sealed to your own key.');
    const chains = parseWriteTarget(input.chain);
    if (typeof input.recordId !== 'string') throw new ValidationFailedError('recordId is required.', 'recordId');
    const recordId = RecordId.parse(input.recordId);
    const { content, sealedHeader, keyEnvelope } = input;
    if (!content || content.length <= GCM_TAG_BYTES) {
      throw new ValidationFailedError('content must be the sealed file (ciphertext and tag).', 'content');
    }
    if (content.length > this.policy.maxFileBytes + GCM_TAG_BYTES)
      throw new PayloadTooLargeError(this.policy.maxFileBytes);
    if (sealedHeader.length <= GCM_TAG_BYTES || sealedHeader.length > MAX_SEALED_HEADER_BYTES) {
      throw new ValidationFailedError(`sealedHeader must be 17 to ${MAX_SEALED_HEADER_BYTES} bytes.`, 'sealedHeader');
    }
    const declared = parseRecipients(input.recipients);
    const aad = recordAad(patientKey, recordId);
    await this.checkEnvelope(keyEnvelope, declared.length);
    await this.checkRecipients(patient, patientKey, chains, declared, keyEnvelope, sealedHeader, aad);

    const contentSha256 = this.hasher.sha256(content);
    const signatures = parseSignatures(input.signatures, chains);
    const signerKeyId = this.hasher.sha256(keys.signingPublicKey);
    const keyEnvelopeSha256 = this.hasher.sha256(keyEnvelope);
    const drafts: [ChainName, NewLedgerRecord][] = [];
    for (const chain of chains) {
      const payload = recordSigningPayload({
        chain,
        patientKey,
        recordId,
        contentSha256,
        sealedHeader,
        keyEnvelopeSha256,
      });
      const signature = signatures.get(chain) as Uint8Array;
      if (!(await this.signer.verifyWithPublicKey(payload, signature, keys.signingPublicKey))) {
        throw new SignatureInvalidError(`The signature for ${chain} does not verify under your signing key.`);
      }
      drafts.push([
        chain,
        { recordId, patientKey, content, contentSha256, sealedHeader, keyEnvelope, signature, signerKeyId },
      ]);
    }
    for (const chain of chains) {
      if (await this.ledgers.get(chain).findById(patientKey, recordId)) {
        throw new RecordExistsError('A record with this id exists already; choose a new random id.');
      }
    }
    return this.commit(patientId, chains, drafts);
  }

  private async commit(
    patientId: PatientId,
    chains: ChainName[],
    drafts: [ChainName, NewLedgerRecord][],
  ): Promise<SealedUploadResult> {
    const outcomes = await Promise.allSettled(drafts.map(([chain, draft]) => this.ledgers.get(chain).append(draft)));
    if (outcomes.some((outcome) => outcome.status === 'rejected' && outcome.reason instanceof DuplicateRecordError)) {
      throw new RecordExistsError('A record with this id exists already; choose a new random id.');
    }
    const { committed, pending } = await this.copier.settle(drafts, outcomes);
    return {
      patientId: patientId.value,
      target: chains.length > 1 ? 'both' : chains[0],
      complete: pending.length === 0,
      committed,
      pending,
    };
  }

  private async checkEnvelope(keyEnvelope: Uint8Array, recipientCount: number): Promise<void> {
    let described: { version: number; slots: number };
    try {
      described = this.cipher.describeEnvelope(keyEnvelope);
    } catch (error) {
      if (error instanceof DecryptionFailedError)
        throw new EnvelopeMalformedError('keyEnvelope is not a key envelope.');
      throw error;
    }
    if (described.version !== 2) throw new EnvelopeMalformedError('keyEnvelope must be a version 2 envelope.');
    if (described.slots !== recipientCount) {
      throw new EnvelopeMalformedError(`keyEnvelope has ${described.slots} slots for ${recipientCount} recipients.`);
    }
  }

  /** Declared recipients = the ones SealingRecipients names now; each provider's slot must open the header. */
  private async checkRecipients(
    patient: Principal,
    patientKey: Uint8Array,
    chains: ChainName[],
    declared: Uint8Array[],
    keyEnvelope: Uint8Array,
    sealedHeader: Uint8Array,
    aad: Uint8Array,
  ): Promise<void> {
    const expected = await this.recipients.of(patient, patientKey, chains);
    const sameSet =
      declared.length === expected.length &&
      bytesEqual(declared[0], expected[0].publicKey) &&
      expected.every((recipient) => declared.some((key) => bytesEqual(key, recipient.publicKey)));
    if (!sameSet) {
      throw new RecipientsMismatchError(
        `Seal to your own key first, then to the ${expected.length - 1} other key(s) GET /api/v1/patients/{id}/recipients names now.`,
      );
    }
    for (const recipient of expected.filter((candidate) => candidate.role === 'provider')) {
      const keys = await this.keyVault.keyPair(principalRef('provider', recipient.id));
      const dataKey = keys ? await this.cipher.tryUnwrap([keyEnvelope], keys, aad) : null;
      const opens = dataKey !== null && (await this.opensHeader(dataKey, sealedHeader, aad));
      if (!opens) throw new EnvelopeMalformedError(`The slot for provider ${recipient.id} does not open the record.`);
    }
    const epoch = expected.find((candidate) => candidate.role === 'epoch');
    if (epoch) await this.checkEpochSlot(patientKey, chains, epoch.publicKey, keyEnvelope, sealedHeader, aad);
  }

  /**
   * Issue 14: the consented providers read the record through the epoch key, so its slot must open
   * the record. The service holds no epoch key of its own; it opens the current epoch's slot of a
   * consented provider it keeps keys for (the same scalar for every slot: EpochKeys checks it is
   * the epoch's private half) and tries that key on the envelope. With no such provider (no consent
   * in force) nobody the service keeps can read the record anyway, and nothing is checked.
   */
  private async checkEpochSlot(
    patientKey: Uint8Array,
    chains: readonly ChainName[],
    epochPublicKey: Uint8Array,
    keyEnvelope: Uint8Array,
    sealedHeader: Uint8Array,
    aad: Uint8Array,
  ): Promise<void> {
    const epochKey = await this.heldEpochKey(patientKey, chains, epochPublicKey);
    if (!epochKey) return;
    const dataKey = await this.cipher.tryUnwrap([keyEnvelope], epochKey, aad);
    const opens = dataKey !== null && (await this.opensHeader(dataKey, sealedHeader, aad));
    if (!opens) throw new EnvelopeMalformedError('The slot for your current epoch key does not open the record.');
  }

  /** The current epoch's key pair through a consented provider's slot, from the first target ledger that answers. */
  private async heldEpochKey(
    patientKey: Uint8Array,
    chains: readonly ChainName[],
    epochPublicKey: Uint8Array,
  ): Promise<KeyPair | null> {
    for (const chain of chains) {
      try {
        const providers = await this.recipients.consentedProviders(patientKey, [chain]);
        for (const provider of providers) {
          const keys = await this.epochKeys.of(this.ledgers.access(chain), patientKey, provider.keys);
          const current = keys.find((key) => bytesEqual(key.publicKey, epochPublicKey));
          if (current) return current;
        }
      } catch (error) {
        // A ledger that is down for `both` is owed the copy later; the other one answers for the epoch.
        if (error instanceof ChainUnavailableError) continue;
        throw error;
      }
    }
    return null;
  }

  private async opensHeader(
    dataKey: { bytes: Uint8Array },
    sealedHeader: Uint8Array,
    aad: Uint8Array,
  ): Promise<boolean> {
    try {
      await this.cipher.open(dataKey, sealedHeader, HEADER_PART, aad);
      return true;
    } catch (error) {
      if (error instanceof DecryptionFailedError) return false;
      throw error;
    }
  }
}

function parseRecipients(raw: unknown): Uint8Array[] {
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 255) {
    throw new ValidationFailedError('recipients must be a JSON array of 1 to 255 public keys.', 'recipients');
  }
  const keys = raw.map((key) => parseHexBytes(key, P256_PUBLIC_KEY_BYTES, 'recipients'));
  if (new Set(keys.map(bytesToHex)).size !== keys.length) {
    throw new ValidationFailedError('recipients must not repeat a key.', 'recipients');
  }
  return keys;
}

function parseSignatures(raw: unknown, chains: readonly ChainName[]): Map<ChainName, Uint8Array> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationFailedError('signatures must be a JSON object with one signature per ledger.', 'signatures');
  }
  const signatures = new Map<ChainName, Uint8Array>();
  for (const chain of chains) {
    const signature = (raw as Record<string, unknown>)[chain];
    if (signature === undefined) throw new SignatureInvalidError(`No signature for ${chain}.`);
    signatures.set(chain, parseHexBytes(signature, P256_SIGNATURE_BYTES, 'signatures'));
  }
  return signatures;
}
