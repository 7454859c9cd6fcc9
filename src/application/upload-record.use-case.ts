import { parseChainName } from '../domain/chain-name';
import { RecordMetadata } from '../domain/emr-record';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationFailedError } from '../domain/errors';
import { Ledgers } from '../domain/ledgers';
import { ACCEPTED_MEDIA_TYPES, claimAgrees, sniffMediaType } from '../domain/media-type';
import { Cipher } from '../domain/ports/cipher.port';
import { Hasher } from '../domain/ports/hasher.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { Principal } from '../domain/principal';
import { RandomSource } from '../domain/ports/random.port';
import { RecordSigner } from '../domain/ports/record-signer.port';
import { PatientId } from '../domain/patient-id';
import { encodeHeader, recordAad, recordSigningPayload, toMetadata } from '../domain/record-codec';
import { RECORD_ID_BYTES, RecordId } from '../domain/record-id';
import { PatientAccess } from './patient-access';
import { CONTENT_PART, HEADER_PART } from './record-opener';
import { UploadPolicy } from './upload-policy';

export interface UploadRecordInput {
  readonly patientId: string;
  readonly chain: string;
  readonly fileName: string | undefined;
  /** The Content-Type the client claimed for the file part, if any. */
  readonly claimedType: string | undefined;
  readonly bytes: Uint8Array;
  readonly actor: Principal;
}

const MAX_FILE_NAME_CHARS = 255;

/**
 * Encrypts a file once under a fresh data key sealed to the patient's key and the
 * uploading provider's key, signs it for the chosen ledger and appends it as the
 * patient's next record version. Input and rights are checked before anything is written.
 */
export class UploadRecordUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly cipher: Cipher,
    private readonly signer: RecordSigner,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly hasher: Hasher,
    private readonly random: RandomSource,
    private readonly access: PatientAccess,
    private readonly policy: UploadPolicy,
  ) {}

  async execute(input: UploadRecordInput): Promise<RecordMetadata> {
    const patientId = PatientId.parse(input.patientId);
    const chain = parseChainName(input.chain);
    if (input.bytes.length === 0) throw new ValidationFailedError('file is empty.', 'file');
    if (input.bytes.length > this.policy.maxFileBytes) throw new PayloadTooLargeError(this.policy.maxFileBytes);
    const mediaType = sniffMediaType(input.bytes);
    if (!mediaType) {
      const accepted = ACCEPTED_MEDIA_TYPES.map((type) => type.extension.toUpperCase()).join(', ');
      throw new UnsupportedMediaTypeError(`The file is not one of the accepted formats (${accepted}).`);
    }
    if (!claimAgrees(input.claimedType, mediaType)) {
      throw new UnsupportedMediaTypeError(`The file's content is ${mediaType.mime}, which disagrees with the type it was sent as.`);
    }

    const { recipients, uploader } = await this.access.writeScope(input.actor, patientId);
    const repository = this.ledgers.get(chain);
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const recordId = RecordId.fromBytes(this.random.bytes(RECORD_ID_BYTES));
    const header = {
      fileName: cleanFileName(input.fileName, mediaType.extension),
      contentType: mediaType.mime,
      size: input.bytes.length,
      uploader,
    };
    const aad = recordAad(patientKey, recordId);
    const sealed = await this.cipher.seal([encodeHeader(header), input.bytes], recipients, aad);
    const sealedHeader = sealed.parts[HEADER_PART];
    const content = sealed.parts[CONTENT_PART];
    const contentSha256 = this.hasher.sha256(content);
    const signature = await this.signer.sign(
      recordSigningPayload({ chain, patientKey, recordId, contentSha256, sealedHeader }),
    );

    const stored = await repository.append({
      recordId,
      patientKey,
      content,
      contentSha256,
      sealedHeader,
      keyEnvelope: sealed.keyEnvelope,
      signature,
      signerKeyId: this.signer.keyId(),
    });
    return toMetadata(patientId, stored, header);
  }
}

/** Keeps the base name only, without control characters or path separators. */
export function cleanFileName(raw: string | undefined, extension: string): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, MAX_FILE_NAME_CHARS);
  return cleaned.length > 0 && cleaned !== '.' && cleaned !== '..' ? cleaned : `record.${extension}`;
}
