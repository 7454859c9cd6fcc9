import { Body, Controller, Delete, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ClaimUseCase } from '../../application/enrolment/claim.use-case';
import { IssuedClaim } from '../../application/enrolment/enrolment';
import { ReissueClaimCodeUseCase } from '../../application/enrolment/reissue-claim-code.use-case';
import { TokenLifecycleUseCase } from '../../application/enrolment/token-lifecycle.use-case';
import { Principal } from '../../domain/principal';
import { ClaimBody, ClaimCodeDto, ClaimedDto, TokenDto } from './access.dto';
import { Actor } from './actor.decorator';
import { ApiProblems, ApiPublicProblems } from './api-problems.decorator';
import { Public } from './auth.guard';

/**
 * Claim codes and tokens: enrolment answers with a one-time claim code, never a token; the
 * claimant exchanges it here for their own, and can later rotate it or sign out everywhere.
 */
@ApiTags('access')
@Controller('api/v1')
export class ClaimsController {
  constructor(
    private readonly claim: ClaimUseCase,
    private readonly tokens: TokenLifecycleUseCase,
    private readonly reissue: ReissueClaimCodeUseCase,
  ) {}

  @Post('claims')
  @Public()
  @ApiOperation({
    summary: 'Exchange a claim code for your token (no token needed). The token is shown once.',
    description:
      'A wrong, used or expired code is 404 CLAIM_CODE_INVALID; after CLAIM_ATTEMPTS_PER_HOUR failed claims ' +
      'from one address in an hour, every claim from it is 429 CLAIM_LIMITED (with Retry-After).',
  })
  @ApiCreatedResponse({ type: ClaimedDto })
  @ApiPublicProblems(400, 404, 429)
  async claimToken(@Body() body: ClaimBody, @Req() request: Request): Promise<ClaimedDto> {
    return this.claim.execute({ claimCode: body.claimCode, client: request.ip ?? 'unknown' });
  }

  @Post('me/token')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Rotate your token: a new one, shown once; the one used here stops working at once' })
  @ApiCreatedResponse({ type: TokenDto })
  @ApiProblems(403)
  rotate(@Actor() actor: Principal): Promise<TokenDto> {
    return this.tokens.rotate(actor);
  }

  @Delete('me/tokens')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Sign out everywhere: no token of yours works any more; a new claim code brings you back' })
  @ApiNoContentResponse()
  @ApiProblems(403)
  async signOut(@Actor() actor: Principal): Promise<void> {
    await this.tokens.signOutEverywhere(actor);
  }

  @Post('patients/:patientId/claim-code')
  @ApiBearerAuth()
  @ApiOperation({ summary: "A new claim code for a patient (provider); voids the patient's older unused one" })
  @ApiCreatedResponse({ type: ClaimCodeDto })
  @ApiProblems(400, 403, 404)
  async patientCode(@Actor() actor: Principal, @Param('patientId') patientId: string): Promise<ClaimCodeDto> {
    return view(await this.reissue.forPatient({ actor, patientId }));
  }

  @Post('providers/:providerId/claim-code')
  @ApiBearerAuth()
  @ApiOperation({ summary: "A new claim code for a provider (admin); voids the provider's older unused one" })
  @ApiCreatedResponse({ type: ClaimCodeDto })
  @ApiProblems(400, 403, 404)
  async providerCode(@Actor() actor: Principal, @Param('providerId') providerId: string): Promise<ClaimCodeDto> {
    return view(await this.reissue.forProvider({ actor, providerId }));
  }
}

function view(issued: IssuedClaim): ClaimCodeDto {
  return { claimCode: issued.claimCode, claimExpiresAt: issued.claimExpiresAt.toISOString() };
}
