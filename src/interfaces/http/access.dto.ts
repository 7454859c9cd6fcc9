import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CHAIN_NAMES } from '../../domain/chain-name';

export class CreateProviderBody {
  @ApiProperty({ example: 'st-mary-radiology', description: '1-64 chars: letters, digits, . _ -' })
  @IsString()
  @MaxLength(64)
  providerId!: string;

  @ApiProperty({ example: "St Mary's Radiology" })
  @IsString()
  @MaxLength(200)
  name!: string;
}

export class EnrollPatientBody {
  @ApiProperty({ example: 'P-1001' })
  @IsString()
  @MaxLength(64)
  patientId!: string;
}

export class GrantConsentBody {
  @ApiProperty({ example: 'st-mary-radiology' })
  @IsString()
  @MaxLength(64)
  providerId!: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Omit for a consent that lasts until revoked' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO-8601 date-time' })
  expiresAt?: string;

  @ApiProperty({ description: "base64: the current epoch's private key sealed to the provider (a one-slot envelope)" })
  @Allow()
  epochSlot?: unknown;

  @ApiProperty({
    description:
      'One signature per ledger: { "<chain>": { nonce (decimal string), r (0x, 32 bytes), s (0x, 32 bytes) } }',
    example: { supchain: { nonce: '0', r: '0x…', s: '0x…' } },
  })
  @Allow()
  signatures?: unknown;
}

export class EpochBody {
  @ApiProperty({ description: 'SEC 1 uncompressed P-256 public key of the new epoch, 0x-hex (65 bytes)' })
  publicKey!: string;
  @ApiProperty({ type: [String], description: 'base64 slots: the patient first, then each provider still consented' })
  slots!: string[];
}

export class RevokeConsentBody {
  @ApiProperty({ type: EpochBody, description: 'The new epoch the revocation starts' })
  @Allow()
  epoch?: unknown;

  @ApiProperty({ description: 'One signature per ledger: { "<chain>": { nonce, r, s } }' })
  @Allow()
  signatures?: unknown;
}

export class ConsentContextQuery {
  @ApiPropertyOptional({ description: 'The provider a grant is for (its public key is answered)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  providerId?: string;
}

export class LedgerConsentDomainDto {
  @ApiProperty({ enum: CHAIN_NAMES }) chain!: string;
  @ApiProperty({ description: 'decimal string' }) chainId!: string;
  @ApiProperty({ description: 'PatientAccessRegistry address' }) registry!: string;
  @ApiProperty({ description: 'the nonce your next signed change must carry, decimal string' }) nonce!: string;
}

export class EpochDto {
  @ApiProperty() index!: number;
  @ApiProperty({ description: '0x-hex, 65 bytes' }) publicKey!: string;
  @ApiProperty({ type: [String], description: 'base64 epoch slots, checked against the hashes the ledger stores' })
  slots!: string[];
}

export class ConsentPartyDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: '0x-hex, 65 bytes: the key its epoch slot is sealed to' }) publicKey!: string;
  @ApiProperty({ description: "The provider's pseudonym, 0x-hex (32 bytes): the providerKey of the signed message" })
  providerKey!: string;
}

export class ConsentContextDto {
  @ApiProperty() patientKey!: string;
  @ApiProperty({ type: ConsentPartyDto, nullable: true }) provider!: ConsentPartyDto | null;
  @ApiProperty({ type: [LedgerConsentDomainDto] }) ledgers!: LedgerConsentDomainDto[];
  @ApiProperty({ type: EpochDto, description: 'The current epoch' }) epoch!: EpochDto;
  @ApiProperty({ type: [ConsentPartyDto], description: 'Providers whose consent is in force' })
  consented!: ConsentPartyDto[];
}

export class ConsentChangeDto {
  @ApiProperty({ enum: CHAIN_NAMES }) chain!: string;
  @ApiProperty({ enum: ['grant', 'revoke'] }) action!: string;
  @ApiProperty({ nullable: true, type: String }) providerId!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ description: 'decimal string' }) nonce!: string;
  @ApiProperty({ description: 'The signed message, 0x-hex (288 bytes)' }) message!: string;
  @ApiProperty() r!: string;
  @ApiProperty() s!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ nullable: true, type: String }) transaction!: string | null;
}

export class ClaimBody {
  @ApiProperty({
    example: 'K7QM-2D9X-VT4R-8HNC-W1PB',
    description: 'As handed over; any case, with or without dashes or spaces (O reads as 0, I and L as 1)',
  })
  @IsString()
  @MaxLength(64)
  claimCode!: string;
}

const CLAIM_CODE_DESCRIPTION =
  'One-time code (100 bits, Crockford base32, grouped) to hand to the new principal, who exchanges it for a token ' +
  'at POST /api/v1/claims; shown once';

export class ProviderCreatedDto {
  @ApiProperty() providerId!: string;
  @ApiProperty({ description: 'SEC 1 uncompressed P-256 public key, 0x-hex' }) publicKey!: string;
  @ApiProperty({ example: 'K7QM-2D9X-VT4R-8HNC-W1PB', description: CLAIM_CODE_DESCRIPTION }) claimCode!: string;
  @ApiProperty({ format: 'date-time' }) claimExpiresAt!: string;
  @ApiProperty({ example: 'admin', description: 'Who created the provider: the operator' }) createdBy!: string;
}

export class PatientEnrolledDto {
  @ApiProperty() patientId!: string;
  @ApiProperty({ example: 'K7QM-2D9X-VT4R-8HNC-W1PB', description: CLAIM_CODE_DESCRIPTION }) claimCode!: string;
  @ApiProperty({ format: 'date-time' }) claimExpiresAt!: string;
  @ApiProperty({ description: 'The enrolling provider' }) enrolledBy!: string;
}

export class ClaimCodeDto {
  @ApiProperty({ example: 'K7QM-2D9X-VT4R-8HNC-W1PB', description: CLAIM_CODE_DESCRIPTION }) claimCode!: string;
  @ApiProperty({ format: 'date-time' }) claimExpiresAt!: string;
}

export class ClaimedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['provider', 'patient'] }) role!: string;
  @ApiProperty({ description: 'Bearer token, shown once; any earlier token of the principal no longer works' })
  token!: string;
}

export class TokenDto {
  @ApiProperty({ description: 'The new bearer token, shown once; the one used to ask no longer works' })
  token!: string;
}

export class PatientKeysDto {
  @ApiProperty() encryptionPublicKey!: string;
  @ApiProperty() signingPublicKey!: string;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
}

export class MeDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['admin', 'provider', 'patient'] }) role!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The enrolling provider, or "admin" for a provider; null for the operator',
  })
  createdBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Null until claimed' })
  claimedAt!: string | null;
  @ApiPropertyOptional({
    description: 'Patients: the pseudonym the ledgers know them by (in every record aad), 0x-hex',
  })
  patientKey?: string;
  @ApiPropertyOptional({
    nullable: true,
    type: PatientKeysDto,
    description: 'Patients: their registered public keys; null until their browser registered them',
  })
  keys?: PatientKeysDto | null;
}

export class ConsentDto {
  @ApiProperty() providerId!: string;
  @ApiProperty({ format: 'date-time' }) grantedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ description: 'False once expired' }) active!: boolean;
  @ApiProperty({ enum: CHAIN_NAMES, isArray: true }) chains!: string[];
}

export class AccessLogEntryDto {
  @ApiProperty() accessorId!: string;
  @ApiProperty() accessorRole!: string;
  @ApiProperty({ enum: CHAIN_NAMES }) chain!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Null when the history was listed' }) recordId!:
    string | null;
  @ApiProperty({ enum: ['own-upload', 'consent', 'emergency'] }) kind!: string;
  @ApiProperty() emergency!: boolean;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ format: 'date-time', description: 'When the (first) read happened' }) at!: string;
  @ApiProperty({
    minimum: 1,
    description: "Reads this entry stands for: a reader's repeated reads of its own upload within 60 s are one entry",
  })
  count!: number;
}

const LIMIT_MESSAGE = { message: 'limit must be an integer from 1 to 100' };
const CURSOR_MESSAGE = { message: 'cursor is not one this service issued' };

export class AccessLogQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt(LIMIT_MESSAGE)
  @Min(1, LIMIT_MESSAGE)
  @Max(100, LIMIT_MESSAGE)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the X-Next-Cursor header of a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200, CURSOR_MESSAGE)
  @Matches(/^[A-Za-z0-9_-]+$/, CURSOR_MESSAGE)
  cursor?: string;

  @ApiPropertyOptional({ enum: ['emergency'], description: 'Only emergency (break-glass) reads' })
  @IsOptional()
  @IsIn(['emergency'], { message: 'kind must be emergency (or omitted for every read)' })
  kind?: string;
}
