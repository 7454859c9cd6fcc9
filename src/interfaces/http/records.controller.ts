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
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import contentDisposition from 'content-disposition';
import type { Response } from 'express';
import { GetRecordMetadataUseCase } from '../../application/get-record-metadata.use-case';
import { GetRecordUseCase, RecordContent } from '../../application/get-record.use-case';
import { ListRecordsUseCase, RecordPage } from '../../application/list-records.use-case';
import { UploadRecordUseCase } from '../../application/upload-record.use-case';
import { RecordMetadata } from '../../domain/emr-record';
import { ValidationFailedError } from '../../domain/errors';
import {
  ChainQuery,
  ListRecordsQuery,
  ProblemDto,
  RecordMetadataDto,
  RecordPageDto,
  UPLOAD_SCHEMA,
  UploadRecordBody,
} from './records.dto';

/** Until access control exists every upload is attributed to this principal. */
const ANONYMOUS_UPLOADER = 'anonymous';

const PATIENT_PARAM = { name: 'patientId', example: 'P-1001', description: '1-64 chars: letters, digits, . _ -' };
const PROBLEMS = [400, 404, 422, 503].map((status) => ({ status, type: ProblemDto }));

@ApiTags('records')
@ApiParam(PATIENT_PARAM)
@Controller('api/v1/patients/:patientId/records')
export class RecordsController {
  constructor(
    private readonly uploadRecord: UploadRecordUseCase,
    private readonly listRecords: ListRecordsUseCase,
    private readonly getRecord: GetRecordUseCase,
    private readonly getRecordMetadata: GetRecordMetadataUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @UseInterceptors(FileInterceptor('file'))
  @ApiOperation({ summary: 'Upload a file as the patient’s next record on a ledger' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_SCHEMA })
  @ApiCreatedResponse({ type: RecordMetadataDto, description: 'Stored; Location names the record' })
  @ApiResponse({ status: 413, type: ProblemDto })
  @ApiResponse({ status: 415, type: ProblemDto })
  async upload(
    @Param('patientId') patientId: string,
    @Body() body: UploadRecordBody,
    @UploadedFile() file: Express.Multer.File | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RecordMetadata> {
    if (!file) throw new ValidationFailedError('file is required (a multipart field named "file").', 'file');
    const metadata = await this.uploadRecord.execute({
      patientId,
      chain: body.chain,
      fileName: file.originalname,
      claimedType: file.mimetype,
      bytes: new Uint8Array(file.buffer.buffer, file.buffer.byteOffset, file.buffer.byteLength),
      uploader: ANONYMOUS_UPLOADER,
    });
    response.setHeader('Location', recordLocation(metadata));
    return metadata;
  }

  @Get()
  @ApiOperation({ summary: 'The patient’s records on a ledger, newest first' })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiResponse(PROBLEMS[0])
  list(@Param('patientId') patientId: string, @Query() query: ListRecordsQuery): Promise<RecordPage> {
    return this.listRecords.execute({ patientId, chain: query.chain, limit: query.limit, cursor: query.cursor });
  }

  @Get('latest')
  @ApiOperation({ summary: 'The original bytes of the patient’s latest record' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The original bytes with their original Content-Type' })
  async latest(
    @Param('patientId') patientId: string,
    @Query() query: ChainQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return sendContent(response, await this.getRecord.execute({ patientId, chain: query.chain, recordId: 'latest' }));
  }

  @Get(':recordId')
  @ApiOperation({ summary: 'The original bytes of one record' })
  @ApiParam({ name: 'recordId', description: '0x + 64 hex characters' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The original bytes with their original Content-Type' })
  async byId(
    @Param('patientId') patientId: string,
    @Param('recordId') recordId: string,
    @Query() query: ChainQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return sendContent(response, await this.getRecord.execute({ patientId, chain: query.chain, recordId }));
  }

  @Get(':recordId/metadata')
  @ApiOperation({ summary: 'Metadata of one record (no content is fetched)' })
  @ApiParam({ name: 'recordId', description: '0x + 64 hex characters' })
  @ApiOkResponse({ type: RecordMetadataDto })
  metadata(
    @Param('patientId') patientId: string,
    @Param('recordId') recordId: string,
    @Query() query: ChainQuery,
  ): Promise<RecordMetadata> {
    return this.getRecordMetadata.execute({ patientId, chain: query.chain, recordId });
  }
}

function recordLocation(metadata: RecordMetadata): string {
  const patient = encodeURIComponent(metadata.patientId);
  return `/api/v1/patients/${patient}/records/${metadata.recordId}?chain=${metadata.chain}`;
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
    // ASCII fallback plus RFC 5987 filename* so no raw non-ASCII byte reaches a header.
    disposition: contentDisposition(metadata.fileName, {
      type: 'inline',
      fallback: metadata.fileName.replace(/[^\x20-\x7e]/g, '_'),
    }),
  });
}
