import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CHAIN_NAMES } from '../../domain/chain-name';

const lowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
const WRITE_TARGETS = [...CHAIN_NAMES, 'both'];
const READ_TARGETS = [...CHAIN_NAMES, 'any'];
const WRITE_MESSAGE = { message: `chain must be one of: ${WRITE_TARGETS.join(', ')}` };
const READ_MESSAGE = { message: `chain must be one of: ${READ_TARGETS.join(', ')}` };

/** The multipart form's text fields; the file part itself is taken by multer. */
export class UploadRecordBody {
  @ApiProperty({ enum: WRITE_TARGETS, description: 'Ledger to store on, or both (case-insensitive: SUPchain works)' })
  @Transform(lowerCase)
  @IsIn(WRITE_TARGETS, WRITE_MESSAGE)
  chain!: string;
}

/** OpenAPI shape of the multipart upload (file + chain). */
export const UPLOAD_SCHEMA = {
  type: 'object',
  required: ['file', 'chain'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'PNG, JPEG, GIF, WebP, TIFF, BMP, DICOM or PDF' },
    chain: { type: 'string', enum: WRITE_TARGETS, description: 'Ledger to store on, or both (case-insensitive)' },
  },
};

export class ChainQuery {
  @ApiProperty({ enum: READ_TARGETS, description: 'Ledger to read from, or any (first healthy, verified)' })
  @Transform(lowerCase)
  @IsIn(READ_TARGETS, READ_MESSAGE)
  chain!: string;
}

export class ListRecordsQuery extends ChainQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer from 1 to 100' })
  @Min(1, { message: 'limit must be an integer from 1 to 100' })
  @Max(100, { message: 'limit must be an integer from 1 to 100' })
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(64, { message: 'cursor is not one this service issued' })
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not one this service issued' })
  cursor?: string;
}

export class RecordMetadataDto {
  @ApiProperty({ example: '0x' + 'ab'.repeat(32) }) recordId!: string;
  @ApiProperty({ example: 'P-1001' }) patientId!: string;
  @ApiProperty({ enum: CHAIN_NAMES }) chain!: string;
  @ApiProperty({ description: '1-based position in the patient history on this ledger' }) version!: number;
  @ApiProperty({ example: 'image/png' }) contentType!: string;
  @ApiProperty({ example: 'scan.png' }) fileName!: string;
  @ApiProperty({ description: 'Plaintext size in bytes' }) size!: number;
  @ApiProperty({ description: 'SHA-256 of the stored ciphertext' }) ciphertextSha256!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() uploader!: string;
  @ApiProperty({
    type: [String],
    description: 'Hashes of the transactions that wrote this copy (chunks, then the commit); empty for in-memory',
  })
  transactions!: string[];
  @ApiProperty({ type: Number, nullable: true }) blockNumber!: number | null;
}

export class RecordPageDto {
  @ApiProperty({ type: [RecordMetadataDto] }) items!: RecordMetadataDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class ProblemDto {
  @ApiProperty() type!: string;
  @ApiProperty() title!: string;
  @ApiProperty() status!: number;
  @ApiProperty() detail!: string;
  @ApiProperty({ example: 'VALIDATION_FAILED' }) code!: string;
  @ApiPropertyOptional({ example: 'patientId' }) field?: string;
}

export class ReplicaStatusDto {
  @ApiProperty({ enum: ['committed', 'pending'] }) status!: string;
  @ApiPropertyOptional() version?: number;
  @ApiPropertyOptional({ type: [String] }) transactions?: string[];
  @ApiPropertyOptional({ type: Number, nullable: true }) blockNumber?: number | null;
}

/** A `both` upload: version, transactions and block differ per copy, so they are only in `replicas`. */
export class ReplicatedUploadDto extends OmitType(RecordMetadataDto, ['version', 'transactions', 'blockNumber']) {
  @ApiProperty({ description: 'Per ledger: committed, or pending (written when the ledger returns)' })
  replicas!: Record<string, ReplicaStatusDto>;
  @ApiProperty({ description: 'Where to follow the copies' }) statusUrl!: string;
}

export class ReplicationStatusDto {
  @ApiProperty() recordId!: string;
  @ApiProperty() complete!: boolean;
  @ApiProperty({ description: 'committed | pending | absent | unreachable, per ledger' }) chains!: Record<
    string,
    string
  >;
}
