import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ConsentContextUseCase, ConsentContextView } from '../../application/access/consent-context.use-case';
import { ConsentChangeView, ConsentHistoryUseCase } from '../../application/access/consent-history.use-case';
import { ConsentView } from '../../application/access/consent-view';
import { EpochView, ListEpochsUseCase } from '../../application/access/list-epochs.use-case';
import { CreateProviderUseCase } from '../../application/enrolment/create-provider.use-case';
import { EnrollPatientUseCase } from '../../application/enrolment/enroll-patient.use-case';
import { GrantConsentUseCase } from '../../application/access/grant-consent.use-case';
import { ListAccessLogUseCase } from '../../application/access/list-access-log.use-case';
import { ListConsentsUseCase } from '../../application/access/list-consents.use-case';
import { RevokeConsentUseCase } from '../../application/access/revoke-consent.use-case';
import type { Response } from 'express';
import { AccessLogEntry } from '../../domain/access-log';
import { DescribeMeUseCase } from '../../application/enrolment/describe-me.use-case';
import { Principal } from '../../domain/principal';
import {
  AccessLogEntryDto,
  AccessLogQuery,
  ConsentChangeDto,
  ConsentContextDto,
  ConsentContextQuery,
  ConsentDto,
  EpochDto,
  CreateProviderBody,
  EnrollPatientBody,
  GrantConsentBody,
  MeDto,
  PatientEnrolledDto,
  ProviderCreatedDto,
  RevokeConsentBody,
} from './access.dto';
import { Actor } from './actor.decorator';
import { ApiProblems } from './api-problems.decorator';

@ApiTags('access')
@ApiBearerAuth()
@Controller('api/v1')
export class AccessController {
  constructor(
    private readonly createProvider: CreateProviderUseCase,
    private readonly enrollPatient: EnrollPatientUseCase,
    private readonly grantConsent: GrantConsentUseCase,
    private readonly revokeConsent: RevokeConsentUseCase,
    private readonly listConsents: ListConsentsUseCase,
    private readonly listAccessLog: ListAccessLogUseCase,
    private readonly describeMe: DescribeMeUseCase,
    private readonly consentContext: ConsentContextUseCase,
    private readonly consentHistory: ConsentHistoryUseCase,
    private readonly listEpochs: ListEpochsUseCase,
  ) {}

  @Post('providers')
  @ApiOperation({
    summary:
      'Create a provider (admin). Answers a one-time claim code, shown once, for the provider to claim its token.',
  })
  @ApiCreatedResponse({ type: ProviderCreatedDto })
  @ApiProblems(400, 403, 409, 503)
  async provider(@Actor() actor: Principal, @Body() body: CreateProviderBody): Promise<ProviderCreatedDto> {
    const enrolled = await this.createProvider.execute({ actor, providerId: body.providerId, name: body.name });
    return {
      providerId: enrolled.id,
      publicKey: enrolled.publicKey as string,
      claimCode: enrolled.claimCode,
      claimExpiresAt: enrolled.claimExpiresAt.toISOString(),
      createdBy: enrolled.createdBy,
    };
  }

  @Post('patients')
  @ApiOperation({
    summary: 'Enrol a patient (provider). Answers a one-time claim code, shown once, for the patient to claim a token.',
  })
  @ApiCreatedResponse({ type: PatientEnrolledDto })
  @ApiProblems(400, 403, 409, 503)
  async patient(@Actor() actor: Principal, @Body() body: EnrollPatientBody): Promise<PatientEnrolledDto> {
    const enrolled = await this.enrollPatient.execute({ actor, patientId: body.patientId });
    return {
      patientId: enrolled.id,
      claimCode: enrolled.claimCode,
      claimExpiresAt: enrolled.claimExpiresAt.toISOString(),
      enrolledBy: enrolled.createdBy,
    };
  }

  @Get('me')
  @ApiOperation({
    summary: 'Who the token belongs to, who created them, when they claimed it, and (patients) their registered keys',
  })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems()
  me(@Actor() actor: Principal): MeDto {
    return this.describeMe.execute(actor);
  }

  @Get('patients/:patientId/consent-context')
  @ApiOperation({
    summary:
      'What your browser needs to sign a grant or revoke (patient): per ledger its chain id, registry and next ' +
      'nonce, the current epoch, the provider’s key and the providers consented now',
  })
  @ApiOkResponse({ type: ConsentContextDto })
  @ApiProblems(400, 403, 404, 409, 503)
  context(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Query() query: ConsentContextQuery,
  ): Promise<ConsentContextView> {
    return this.consentContext.execute({ actor, patientId, providerId: query.providerId });
  }

  @Post('patients/:patientId/consents')
  @ApiOperation({
    summary:
      'Grant a provider consent to read all your records (patient), signed in your browser for each ledger, ' +
      'with the provider’s slot of the current epoch',
  })
  @ApiCreatedResponse({ type: ConsentDto })
  @ApiProblems(400, 403, 404, 409, 422, 503)
  grant(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Body() body: GrantConsentBody,
  ): Promise<ConsentView> {
    return this.grantConsent.execute({
      actor,
      patientId,
      providerId: body.providerId,
      expiresAt: body.expiresAt,
      epochSlot: body.epochSlot,
      signatures: body.signatures,
    });
  }

  @Get('patients/:patientId/consents/history')
  @ApiOperation({
    summary: 'Your signed grants and revocations as the ledgers recorded them, oldest first per ledger (patient)',
  })
  @ApiOkResponse({ type: [ConsentChangeDto] })
  @ApiProblems(400, 403, 404, 503)
  history(@Actor() actor: Principal, @Param('patientId') patientId: string): Promise<ConsentChangeView[]> {
    return this.consentHistory.execute({ actor, patientId });
  }

  @Get('patients/:patientId/epochs')
  @ApiOperation({
    summary: 'Your epochs with their slots, oldest first (patient): open yours to read epoch-sealed records',
  })
  @ApiOkResponse({ type: [EpochDto] })
  @ApiProblems(400, 403, 404, 503)
  epochs(@Actor() actor: Principal, @Param('patientId') patientId: string): Promise<EpochView[]> {
    return this.listEpochs.execute({ actor, patientId });
  }

  @Get('patients/:patientId/consents')
  @ApiOperation({ summary: 'Your consents (patient)' })
  @ApiOkResponse({ type: [ConsentDto] })
  @ApiProblems(400, 403, 404, 503)
  consents(@Actor() actor: Principal, @Param('patientId') patientId: string): Promise<ConsentView[]> {
    return this.listConsents.execute({ actor, patientId });
  }

  @Delete('patients/:patientId/consents/:providerId')
  @ApiOperation({ summary: 'Gone: a revocation is signed by the patient (POST …/consents/{providerId}/revoke)' })
  @ApiProblems(400, 403, 409)
  async unsignedRevoke(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Param('providerId') providerId: string,
  ): Promise<void> {
    // No signature, no epoch: the use case answers 403 for another's consents, else 409 SIGNATURE_REQUIRED.
    await this.revokeConsent.execute({ actor, patientId, providerId, epoch: undefined, signatures: undefined });
  }

  @Post('patients/:patientId/consents/:providerId/revoke')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Revoke a consent (patient), signed in your browser for each ledger, starting a new epoch; takes effect on ' +
      'the next read, and records written after it are sealed to a key the provider does not hold',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404, 409, 422, 503)
  async revoke(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Param('providerId') providerId: string,
    @Body() body: RevokeConsentBody,
  ): Promise<void> {
    await this.revokeConsent.execute({ actor, patientId, providerId, epoch: body.epoch, signatures: body.signatures });
  }

  @Get('patients/:patientId/access-log')
  @ApiOperation({
    summary: 'Who read your records, when and why (patient), newest first, a page at a time',
    description:
      'The body stays a plain array of entries. X-Next-Cursor (absent on the last page) continues the listing; ' +
      'X-Emergency-Count counts every emergency read on every page; kind=emergency lists only those.',
  })
  @ApiOkResponse({
    type: [AccessLogEntryDto],
    headers: {
      'X-Next-Cursor': {
        description: 'Cursor of the next (older) page; absent on the last page',
        schema: { type: 'string' },
      },
      'X-Emergency-Count': {
        description: 'Emergency reads of the patient in all, across ledgers',
        schema: { type: 'integer' },
      },
    },
  })
  @ApiProblems(400, 403, 404, 503)
  async accessLog(
    @Actor() actor: Principal,
    @Param('patientId') patientId: string,
    @Query() query: AccessLogQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AccessLogEntry[]> {
    const page = await this.listAccessLog.execute({ actor, patientId, ...query });
    response.setHeader('X-Emergency-Count', String(page.emergencyCount));
    if (page.nextCursor) response.setHeader('X-Next-Cursor', page.nextCursor);
    return page.entries;
  }
}
