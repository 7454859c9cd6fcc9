import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { GetSealedRecordUseCase } from '../../application/records/get-sealed-record.use-case';
import {
  GetSealingRecipientsUseCase,
  SealingRecipientsView,
} from '../../application/records/get-sealing-recipients.use-case';
import { ListSealedRecordsUseCase, SealedRecordPage } from '../../application/records/list-sealed-records.use-case';
import { SealedRecord } from '../../application/records/sealed-record-view';
import {
  MAX_SEALED_HEADER_BYTES,
  SealedUploadResult,
  UploadSealedRecordUseCase,
} from '../../application/records/upload-sealed-record.use-case';
import { bytesToHex } from '../../domain/bytes';
import { MAX_KEY_ENVELOPE_BYTES_V2, parseBase64 } from '../../domain/patient-keys';
import { ValidationFailedError } from '../../domain/errors';
import { Principal } from '../../domain/principal';
import { Actor } from './actor.decorator';
import { ApiProblems } from './api-problems.decorator';
import { ChainQuery, ListRecordsQuery } from './records.dto';
import { SealedUploadInterceptor } from './sealed-upload.interceptor';
import {
  RecipientsDto,
  RecipientsQuery,
  SEALED_UPLOAD_SCHEMA,
  SealedRecordDto,
  SealedRecordPageDto,
  SealedUploadBody,
  SealedUploadDto,
} from './sealed-records.dto';

const PATIENT_PARAM = { name: 'patientId', example: 'P-1001', description: '1-64 chars: letters, digits, . _ -' };

/**
 * The patient's side of their records: the service hands out and takes in sealed records only
 * (it holds no patient key); the patient's browser verifies, decrypts and seals.
 */
@ApiTags('sealed records (patient)')
@ApiBearerAuth()
@ApiParam(PATIENT_PARAM)
@Controller('api/v1/patients/:patientId')
export class SealedRecordsController {
  constructor(
    private readonly listSealed: ListSealedRecordsUseCase,
    private readonly getSealed: GetSealedRecordUseCase,
    private readonly uploadSealed: UploadSealedRecordUseCase,
    private readonly sealingRecipients: GetSealingRecipientsUseCase,
  ) {}

  @Get('recipients')
  @ApiOperation({
    summary: 'Whom your next upload must be sealed to: your key, then the providers holding your consent (patient)',
  })
  @ApiOkResponse({ type: RecipientsDto })
  @ApiProblems(400, 403, 404, 409, 503)
  recipients(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Query() query: RecipientsQuery,
  ): Promise<SealingRecipientsView> {
    return this.sealingRecipients.execute({ actor, patientId, chain: query.chain });
  }

  @Get('sealed-records')
  @ApiOperation({ summary: 'Your records on a ledger, newest first, sealed: your browser opens them (patient)' })
  @ApiOkResponse({ type: SealedRecordPageDto })
  @ApiProblems(400, 403, 404, 503)
  list(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Query() query: ListRecordsQuery,
  ): Promise<SealedRecordPage> {
    return this.listSealed.execute({ actor, patientId, chain: query.chain, limit: query.limit, cursor: query.cursor });
  }

  @Get('sealed-records/:recordId')
  @ApiOperation({ summary: 'One of your records (or `latest`) with its sealed content (patient)' })
  @ApiParam({ name: 'recordId', description: '0x + 64 hex characters, or latest' })
  @ApiOkResponse({ type: SealedRecordDto })
  @ApiProblems(400, 403, 404, 422, 503)
  one(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Param('recordId') recordId: string,
    @Query() query: ChainQuery,
  ): Promise<SealedRecord> {
    return this.getSealed.execute({ actor, patientId, chain: query.chain, recordId });
  }

  @Post('sealed-records')
  @HttpCode(201)
  @UseInterceptors(SealedUploadInterceptor)
  @ApiOperation({ summary: 'Store a record you sealed and signed in your browser (patient)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: SEALED_UPLOAD_SCHEMA })
  @ApiCreatedResponse({ type: SealedUploadDto, description: 'Stored on every requested ledger' })
  @ApiResponse({
    status: 202,
    type: SealedUploadDto,
    description: 'chain=both with one ledger down: stored on one, journaled for the other (see statusUrl)',
  })
  @ApiProblems(400, 403, 404, 409, 413, 422, 503)
  async upload(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Body() body: SealedUploadBody,
    @UploadedFile() file: Express.Multer.File | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SealedUploadDto> {
    if (!file)
      throw new ValidationFailedError('content is required (a multipart file part named "content").', 'content');
    const result = await this.uploadSealed.execute({
      actor,
      patientId,
      chain: body.chain,
      recordId: body.recordId,
      content: new Uint8Array(file.buffer.buffer, file.buffer.byteOffset, file.buffer.byteLength),
      sealedHeader: parseBase64(body.sealedHeader, MAX_SEALED_HEADER_BYTES, 'sealedHeader'),
      keyEnvelope: parseBase64(body.keyEnvelope, MAX_KEY_ENVELOPE_BYTES_V2, 'keyEnvelope'),
      recipients: parseJsonField(body.recipients, 'recipients'),
      signatures: parseJsonField(body.signatures, 'signatures'),
    });
    response.status(result.complete ? 201 : 202);
    const answer = sealedUploadAnswer(result);
    response.setHeader(
      'Location',
      `/api/v1/patients/${encodeURIComponent(result.patientId)}/sealed-records/${answer.recordId}?chain=${
        result.target === 'both' ? 'any' : result.target
      }`,
    );
    return answer;
  }
}

function parseJsonField(raw: unknown, field: string): unknown {
  if (typeof raw !== 'string') throw new ValidationFailedError(`${field} is required (a JSON text field).`, field);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ValidationFailedError(`${field} is not valid JSON.`, field);
  }
}

function sealedUploadAnswer(result: SealedUploadResult): SealedUploadDto {
  const [first] = result.committed;
  const shared = {
    recordId: first.recordId.hex,
    patientId: result.patientId,
    createdAt: first.createdAt.toISOString(),
    ciphertextSha256: `0x${bytesToHex(first.contentSha256)}`,
  };
  if (result.target !== 'both') {
    return {
      ...shared,
      chain: result.target,
      version: first.version,
      transactions: [...first.transactions],
      blockNumber: first.blockNumber,
    };
  }
  const replicas: Record<string, unknown> = {};
  for (const record of result.committed) {
    replicas[record.chain] = {
      status: 'committed',
      version: record.version,
      transactions: record.transactions,
      blockNumber: record.blockNumber,
    };
  }
  for (const chain of result.pending) replicas[chain] = { status: 'pending' };
  return {
    ...shared,
    chain: 'both',
    replicas,
    statusUrl: `/api/v1/patients/${encodeURIComponent(result.patientId)}/records/${shared.recordId}/replication`,
  };
}
