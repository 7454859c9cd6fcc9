import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsIn } from 'class-validator';
import { CHAIN_NAMES } from '../../domain/chain-name';

const WRITE_TARGETS = [...CHAIN_NAMES, 'both'];

const lowerCase = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

export const SEALED_UPLOAD_SCHEMA = {
  type: 'object',
  required: ['content', 'chain', 'recordId', 'sealedHeader', 'keyEnvelope', 'recipients', 'signatures'],
  properties: {
    content: {
      type: 'string',
      format: 'binary',
      description: 'The file sealed in the browser: AES-256-GCM ciphertext and tag',
    },
    chain: { type: 'string', enum: WRITE_TARGETS, description: 'Ledger to store on, or both (case-insensitive)' },
    recordId: { type: 'string', description: '0x + 64 hex characters, chosen at random by the client' },
    sealedHeader: { type: 'string', description: 'base64 of the sealed header (name, type, size, SHA-1)' },
    keyEnvelope: { type: 'string', description: 'base64 of the key envelope (version 2)' },
    recipients: {
      type: 'string',
      description: 'JSON array of 0x-hex public keys the envelope seals to, the patient first (GET …/recipients)',
    },
    signatures: {
      type: 'string',
      description:
        'JSON object: per target ledger, 0x-hex ECDSA P-256 signature (r‖s, low-S) by the patient signing key',
    },
  },
};

export class SealedUploadBody {
  @Transform(lowerCase)
  @IsIn(WRITE_TARGETS, { message: `chain must be one of: ${WRITE_TARGETS.join(', ')}` })
  chain!: string;
  // Checked by the use case, which answers each with its own problem code.
  @Allow() recordId?: unknown;
  @Allow() sealedHeader?: unknown;
  @Allow() keyEnvelope?: unknown;
  @Allow() recipients?: unknown;
  @Allow() signatures?: unknown;
}

export class RecipientsQuery {
  @ApiProperty({ enum: WRITE_TARGETS, description: 'The ledgers the record will go to' })
  @Transform(lowerCase)
  @IsIn(WRITE_TARGETS, { message: `chain must be one of: ${WRITE_TARGETS.join(', ')}` })
  chain!: string;
}

class SignerDto {
  @ApiProperty({ enum: ['service', 'patient', 'unknown'] }) kind!: string;
  @ApiProperty({ description: 'SHA-256 of the signing public key, 0x-hex' }) keyId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'SEC 1 public key, 0x-hex' }) publicKey!: string | null;
}

export class SealedRecordDto {
  @ApiProperty() recordId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty({ description: 'The patient pseudonym the ledgers know, 0x-hex (in the record aad)' })
  patientKey!: string;
  @ApiProperty({ enum: ['supchain', 'medchain'] }) chain!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: [String] }) transactions!: string[];
  @ApiProperty({ nullable: true, type: Number }) blockNumber!: number | null;
  @ApiProperty() contentSha256!: string;
  @ApiProperty() contentLength!: number;
  @ApiProperty({ description: 'base64' }) sealedHeader!: string;
  @ApiProperty({ description: 'base64' }) keyEnvelope!: string;
  @ApiProperty({ type: [String], description: 'base64 envelopes added later (the patient slot of earlier uploads)' })
  addedKeyEnvelopes!: string[];
  @ApiProperty() signature!: string;
  @ApiProperty({ type: SignerDto }) signer!: SignerDto;
}

export class SealedRecordPageDto {
  @ApiProperty({ type: [SealedRecordDto] }) items!: SealedRecordDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

class RecipientDto {
  @ApiProperty({ enum: ['patient', 'provider', 'epoch'] }) role!: string;
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'SEC 1 P-256 public key, 0x-hex' }) publicKey!: string;
}

export class RecipientsDto {
  @ApiProperty() patientId!: string;
  @ApiProperty() patientKey!: string;
  @ApiProperty({ type: [String] }) chains!: string[];
  @ApiProperty({ type: [RecipientDto] }) recipients!: RecipientDto[];
}

export class SealedUploadDto {
  @ApiProperty() recordId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty({ enum: ['supchain', 'medchain', 'both'] }) chain!: string;
  @ApiPropertyOptional() version?: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() ciphertextSha256!: string;
  @ApiPropertyOptional({ type: [String] }) transactions?: string[];
  @ApiPropertyOptional({ nullable: true, type: Number }) blockNumber?: number | null;
  @ApiPropertyOptional({ description: 'chain=both: per ledger, committed (version, transactions, block) or pending' })
  replicas?: Record<string, unknown>;
  @ApiPropertyOptional() statusUrl?: string;
}

export class RegisterKeysBody {
  @ApiProperty({ description: 'P-256 ECDH public key, SEC 1 uncompressed, 0x-hex (65 bytes)' })
  @Allow()
  encryptionPublicKey?: unknown;
  @ApiProperty({ description: 'P-256 ECDSA public key, SEC 1 uncompressed, 0x-hex (65 bytes)' })
  @Allow()
  signingPublicKey?: unknown;
  @ApiProperty({ description: 'Signature of the registration by the signing key, 0x-hex r‖s (64 bytes)' })
  @Allow()
  proof?: unknown;
  @ApiProperty({ description: 'base64 of the key backup wrapped under the recovery code (1..8192 bytes)' })
  @Allow()
  backup?: unknown;
  @ApiProperty({
    description:
      'Epoch 0, made in your browser: { publicKey: 0x-hex (65 bytes), slots: [base64] } with one slot, yours',
  })
  @Allow()
  epoch?: unknown;
}

export class ReplaceSigningKeyBody {
  @ApiProperty({ description: 'The new P-256 ECDSA public key, SEC 1 uncompressed, 0x-hex (65 bytes)' })
  @Allow()
  signingPublicKey?: unknown;
  @ApiProperty({
    description:
      'The replacement signed by your CURRENT signing key, one per ledger: { "<chain>": { nonce (decimal string), r (0x, 32 bytes), s (0x, 32 bytes) } }',
    example: { supchain: { nonce: '2', r: '0x…', s: '0x…' } },
  })
  @Allow()
  signatures?: unknown;
  @ApiProperty({ description: 'base64 of both private keys re-wrapped under your recovery code (1..8192 bytes)' })
  @Allow()
  backup?: unknown;
}

export class ReplacedSigningKeyDto {
  @ApiProperty() signingPublicKey!: string;
  @ApiProperty({ type: [String], description: 'Your replaced signing keys, oldest first (0x-hex, 65 bytes each)' })
  formerSigningKeys!: string[];
}

export class RegisteredKeysDto {
  @ApiProperty() encryptionPublicKey!: string;
  @ApiProperty() signingPublicKey!: string;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
  @ApiProperty({ description: 'Records uploaded before now that were given a slot for your key' }) rewrapped!: number;
}

export class KeyBackupDto {
  @ApiProperty({ description: 'base64, as registered' }) backup!: string;
  @ApiProperty() encryptionPublicKey!: string;
  @ApiProperty() signingPublicKey!: string;
  @ApiProperty({ type: [String], description: 'Signing keys replaced before, oldest first (0x-hex)' })
  formerSigningKeys!: string[];
}
