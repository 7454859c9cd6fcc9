import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
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
}

export class EnrolledDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Bearer token, shown once' }) token!: string;
  @ApiProperty({ description: 'SEC 1 uncompressed P-256 public key, 0x-hex' }) publicKey!: string;
}

export class ProviderCreatedDto {
  @ApiProperty() providerId!: string;
  @ApiProperty({ description: 'Bearer token, shown once' }) token!: string;
  @ApiProperty() publicKey!: string;
}

export class PatientEnrolledDto {
  @ApiProperty() patientId!: string;
  @ApiProperty({ description: 'Bearer token, shown once' }) token!: string;
  @ApiProperty() publicKey!: string;
}

export class MeDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['admin', 'provider', 'patient'] }) role!: string;
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
  @ApiProperty({ format: 'date-time' }) at!: string;
}
