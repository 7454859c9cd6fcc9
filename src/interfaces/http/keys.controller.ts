import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { GetKeyBackupUseCase } from '../../application/enrolment/get-key-backup.use-case';
import { RegisteredKeys, RegisterKeysUseCase } from '../../application/enrolment/register-keys.use-case';
import { ReplacedSigningKey, ReplaceSigningKeyUseCase } from '../../application/enrolment/replace-signing-key.use-case';
import { Principal } from '../../domain/principal';
import { Actor } from './actor.decorator';
import { ApiProblems } from './api-problems.decorator';
import {
  KeyBackupDto,
  RegisteredKeysDto,
  RegisterKeysBody,
  ReplacedSigningKeyDto,
  ReplaceSigningKeyBody,
} from './sealed-records.dto';

/**
 * A patient's keys: registered once from their browser (public halves and an opaque backup), the
 * signing key replaced with a change signed by the current one (issue 14), the backup read back to restore.
 */
@ApiTags('access')
@ApiBearerAuth()
@Controller('api/v1/me')
export class KeysController {
  constructor(
    private readonly registerKeys: RegisterKeysUseCase,
    private readonly keyBackup: GetKeyBackupUseCase,
    private readonly replaceSigning: ReplaceSigningKeyUseCase,
  ) {}

  @Post('keys')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Register the public keys your browser generated, and their backup wrapped under your recovery code (patient)',
  })
  @ApiCreatedResponse({ type: RegisteredKeysDto })
  @ApiProblems(400, 403, 409, 422, 503)
  register(@Actor() actor: Principal, @Body() body: RegisterKeysBody): Promise<RegisteredKeys> {
    return this.registerKeys.execute({
      actor,
      encryptionPublicKey: body.encryptionPublicKey,
      signingPublicKey: body.signingPublicKey,
      proof: body.proof,
      backup: body.backup,
      epoch: body.epoch,
    });
  }

  @Post('keys/signing')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Replace your signing key: the change signed by your current key for each ledger, with the backup re-wrapped (patient)',
  })
  @ApiCreatedResponse({ type: ReplacedSigningKeyDto })
  @ApiProblems(400, 403, 409, 422, 503)
  replaceSigningKey(@Actor() actor: Principal, @Body() body: ReplaceSigningKeyBody): Promise<ReplacedSigningKey> {
    return this.replaceSigning.execute({
      actor,
      signingPublicKey: body.signingPublicKey,
      signatures: body.signatures,
      backup: body.backup,
    });
  }

  @Get('key-backup')
  @ApiOperation({
    summary: 'Your key backup, to restore your keys with your recovery code on another device (patient)',
  })
  @ApiOkResponse({ type: KeyBackupDto })
  @ApiProblems(403, 409)
  backup(@Actor() actor: Principal): Promise<KeyBackupDto> {
    return this.keyBackup.execute(actor);
  }
}
