import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBody,
  ApiBearerAuth,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import contentDisposition from 'content-disposition';
import type { Response } from 'express';
import { GetRecordMetadataUseCase } from '../../application/records/get-record-metadata.use-case';
import { GetRecordUseCase, RecordContent } from '../../application/records/get-record.use-case';
import { ListRecordsUseCase, RecordPage } from '../../application/records/list-records.use-case';
import { ReplicationStatus, ReplicationStatusUseCase } from '../../application/replication/replication-status.use-case';
import { UploadRecordUseCase } from '../../application/records/upload-record.use-case';
import { UploadResult } from '../../application/records/upload-result';
import { RecordMetadata } from '../../domain/emr-record';
import { ValidationFailedError } from '../../domain/errors';
import { genericFileName } from '../../domain/file-name';
import { Principal } from '../../domain/principal';
import { Actor } from './actor.decorator';
import { ApiProblems } from './api-problems.decorator';
import { BreakGlassReason, IdempotencyKey } from './request-headers.decorator';
import {
  ChainQuery,
  ListRecordsQuery,
  RecordMetadataDto,
  RecordPageDto,
  ReplicatedUploadDto,
  ReplicationStatusDto,
  UPLOAD_SCHEMA,
  UploadRecordBody,
} from './records.dto';

const BREAK_GLASS_DOC = {
  name: 'X-Break-Glass-Reason',
  required: false,
  description:
    'Emergency read without consent (provider): the reason, logged and shown to the patient. UTF-8, ' +
    'at least 10 characters of text; each provider has an hourly budget of emergency reads (429 BREAK_GLASS_LIMITED)',
};

const PATIENT_PARAM = { name: 'patientId', example: 'P-1001', description: '1-64 chars: letters, digits, . _ -' };

@ApiTags('records')
@ApiBearerAuth()
@ApiParam(PATIENT_PARAM)
@Controller('api/v1/patients/:patientId/records')
export class RecordsController {
  constructor(
    private readonly uploadRecord: UploadRecordUseCase,
    private readonly listRecords: ListRecordsUseCase,
    private readonly getRecord: GetRecordUseCase,
    private readonly getRecordMetadata: GetRecordMetadataUseCase,
    private readonly replicationStatus: ReplicationStatusUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @UseInterceptors(FileInterceptor('file'))
  @ApiOperation({ summary: 'Upload a file as the patient’s next record on a ledger' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_SCHEMA })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retrying with the same key returns the same record',
  })
  @ApiCreatedResponse({
    type: RecordMetadataDto,
    description: 'Stored on every requested ledger; Location names the record',
  })
  @ApiResponse({
    status: 202,
    type: ReplicatedUploadDto,
    description: 'chain=both with one ledger down: stored on one, journaled for the other (see statusUrl)',
  })
  @ApiProblems(400, 403, 404, 409, 413, 415, 503)
  async upload(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Body() body: UploadRecordBody,
    @UploadedFile() file: Express.Multer.File | undefined,
    @Res({ passthrough: true }) response: Response,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<RecordMetadata | ReplicatedUpload> {
    if (!file) throw new ValidationFailedError('file is required (a multipart field named "file").', 'file');
    const result = await this.uploadRecord.execute({
      patientId,
      chain: body.chain,
      fileName: file.originalname,
      claimedType: file.mimetype,
      bytes: new Uint8Array(file.buffer.buffer, file.buffer.byteOffset, file.buffer.byteLength),
      actor,
      idempotencyKey,
    });
    response.status(result.complete ? 201 : 202);
    response.setHeader('Location', recordLocation(result));
    if (result.target !== 'both') return result.metadata;
    // Each copy has its own version, transactions and block: stated per ledger, never one for both.
    const { version: _version, transactions: _transactions, blockNumber: _blockNumber, ...shared } = result.metadata;
    return { ...shared, chain: 'both', replicas: result.replicas, statusUrl: statusUrl(result) };
  }

  @Get()
  @ApiOperation({ summary: 'The patient’s records on a ledger, newest first' })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiProblems(400, 403, 404, 409, 422, 503)
  @ApiHeader(BREAK_GLASS_DOC)
  list(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Query() query: ListRecordsQuery,
    @BreakGlassReason() breakGlassReason?: string,
  ): Promise<RecordPage> {
    return this.listRecords.execute({
      actor,
      patientId,
      chain: query.chain,
      limit: query.limit,
      cursor: query.cursor,
      breakGlassReason,
    });
  }

  @Get('latest')
  @ApiOperation({ summary: 'The original bytes of the patient’s latest record' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The original bytes with their original Content-Type' })
  @ApiProblems(400, 403, 404, 409, 422, 503)
  @ApiHeader(BREAK_GLASS_DOC)
  async latest(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Query() query: ChainQuery,
    @Res({ passthrough: true }) response: Response,
    @BreakGlassReason() breakGlassReason?: string,
  ): Promise<StreamableFile> {
    const record = await this.getRecord.execute({
      actor,
      patientId,
      chain: query.chain,
      recordId: 'latest',
      breakGlassReason,
    });
    return sendContent(response, record);
  }

  @Get(':recordId')
  @ApiOperation({ summary: 'The original bytes of one record' })
  @ApiParam({ name: 'recordId', description: '0x + 64 hex characters' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The original bytes with their original Content-Type' })
  @ApiProblems(400, 403, 404, 409, 422, 503)
  @ApiHeader(BREAK_GLASS_DOC)
  async byId(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Param('recordId') recordId: string,
    @Query() query: ChainQuery,
    @Res({ passthrough: true }) response: Response,
    @BreakGlassReason() breakGlassReason?: string,
  ): Promise<StreamableFile> {
    return sendContent(
      response,
      await this.getRecord.execute({ actor, patientId, chain: query.chain, recordId, breakGlassReason }),
    );
  }

  @Get(':recordId/replication')
  @ApiOperation({ summary: 'Where the copies of a record are (committed, pending, absent, unreachable)' })
  @ApiParam({ name: 'recordId', description: '0x + 64 hex characters' })
  @ApiOkResponse({ type: ReplicationStatusDto })
  @ApiProblems(400, 403, 404, 503)
  replication(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Param('recordId') recordId: string,
  ): Promise<ReplicationStatus> {
    return this.replicationStatus.execute({ actor, patientId, recordId });
  }

  @Get(':recordId/metadata')
  @ApiOperation({ summary: 'Metadata of one record (no content is fetched)' })
  @ApiParam({ name: 'recordId', description: '0x + 64 hex characters' })
  @ApiOkResponse({ type: RecordMetadataDto })
  @ApiProblems(400, 403, 404, 409, 422, 503)
  @ApiHeader(BREAK_GLASS_DOC)
  metadata(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Param('recordId') recordId: string,
    @Query() query: ChainQuery,
    @BreakGlassReason() breakGlassReason?: string,
  ): Promise<RecordMetadata> {
    return this.getRecordMetadata.execute({ actor, patientId, chain: query.chain, recordId, breakGlassReason });
  }
}

type ReplicatedUpload = Omit<RecordMetadata, 'chain' | 'version' | 'transactions' | 'blockNumber'> & {
  chain: 'both';
  replicas: UploadResult['replicas'];
  statusUrl: string;
};

function recordPath(metadata: RecordMetadata): string {
  return `/api/v1/patients/${encodeURIComponent(metadata.patientId)}/records/${metadata.recordId}`;
}

function recordLocation(result: UploadResult): string {
  return `${recordPath(result.metadata)}?chain=${result.target === 'both' ? 'any' : result.target}`;
}

function statusUrl(result: UploadResult): string {
  return `${recordPath(result.metadata)}/replication`;
}

function sendContent(response: Response, record: RecordContent): StreamableFile {
  const { metadata, bytes } = record;
  response.setHeader('ETag', `"${metadata.recordId}"`);
  response.setHeader('X-Record-Id', metadata.recordId);
  // Records are PHI: never cached by shared caches.
  response.setHeader('Cache-Control', 'private, no-store');
  return new StreamableFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    type: metadata.contentType,
    length: bytes.byteLength,
    disposition: inlineDisposition(metadata.fileName, metadata.contentType),
  });
}

/**
 * ASCII fallback plus RFC 5987 filename* so no raw non-ASCII byte reaches a header. Metadata
 * names are already cleaned (displayFileName); should one still be unencodable, the read is
 * answered under a generic name rather than failing.
 */
function inlineDisposition(fileName: string, contentType: string): string {
  try {
    return contentDisposition(fileName, { type: 'inline', fallback: fileName.replace(/[^\x20-\x7e]/g, '_') });
  } catch {
    return contentDisposition(genericFileName(contentType), { type: 'inline' });
  }
}
