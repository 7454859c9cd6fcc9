import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthenticateUseCase } from '../application/enrolment/authenticate.use-case';
import { ClaimAttempts } from '../application/enrolment/claim-attempts';
import { ClaimSettings } from '../application/enrolment/claim-settings';
import { ClaimUseCase } from '../application/enrolment/claim.use-case';
import { CreateProviderUseCase } from '../application/enrolment/create-provider.use-case';
import { Enrolment } from '../application/enrolment/enrolment';
import { EnrollPatientUseCase } from '../application/enrolment/enroll-patient.use-case';
import { FindPatientUseCase } from '../application/enrolment/find-patient.use-case';
import { ReissueClaimCodeUseCase } from '../application/enrolment/reissue-claim-code.use-case';
import { DescribeMeUseCase } from '../application/enrolment/describe-me.use-case';
import { GetKeyBackupUseCase } from '../application/enrolment/get-key-backup.use-case';
import { RegisterKeysUseCase } from '../application/enrolment/register-keys.use-case';
import { ReplaceSigningKeyUseCase } from '../application/enrolment/replace-signing-key.use-case';
import { PatientRewrap } from '../application/records/patient-rewrap';
import { RecordCustodians } from '../application/access/record-custodians';
import { AccessModule } from './access.module';
import { TokenLifecycleUseCase } from '../application/enrolment/token-lifecycle.use-case';
import type { Environment } from '../config/environment';
import { AccessTokens, AdminCredential } from '../domain/access-tokens';
import { ClaimCodes } from '../domain/claim-codes';
import { Ledgers } from '../domain/ledgers';
import { Cipher } from '../domain/ports/cipher.port';
import { Clock } from '../domain/ports/clock.port';
import { Hasher } from '../domain/ports/hasher.port';
import { KeyVault } from '../domain/ports/key-vault.port';
import { PrincipalRepository } from '../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { RandomSource } from '../domain/ports/random.port';
import { RecordSigner } from '../domain/ports/record-signer.port';
import { provide, provideFactory } from './provide';

/**
 * Binds src/application/enrolment: enrolling patients and providers with claim codes, claiming
 * them, a principal's token lifecycle, telling who a bearer token is, and a patient's keys (registered
 * from their browser, with the re-wrap of records uploaded before).
 */
@Module({
  imports: [AccessModule],
  providers: [
    provideFactory(ClaimSettings, [ConfigService], (config: ConfigService<Environment, true>) => {
      return new ClaimSettings(
        config.get('CLAIM_CODE_TTL_HOURS', { infer: true }),
        config.get('CLAIM_ATTEMPTS_PER_HOUR', { infer: true }),
      );
    }),
    provide(ClaimCodes, [Hasher, RandomSource]),
    provide(ClaimAttempts, [ClaimSettings, Clock]),
    provide(Enrolment, [PrincipalRepository, KeyVault, Ledgers, ClaimCodes, ClaimSettings, Clock]),
    provide(AuthenticateUseCase, [PrincipalRepository, AccessTokens, AdminCredential]),
    provide(CreateProviderUseCase, [Enrolment, Pseudonymizer]),
    provide(EnrollPatientUseCase, [Enrolment, Pseudonymizer]),
    provide(FindPatientUseCase, [PrincipalRepository]),
    provide(ClaimUseCase, [PrincipalRepository, ClaimCodes, AccessTokens, ClaimAttempts, Clock]),
    provide(TokenLifecycleUseCase, [PrincipalRepository, AccessTokens]),
    provide(ReissueClaimCodeUseCase, [Enrolment]),
    provide(DescribeMeUseCase, [Pseudonymizer]),
    provide(GetKeyBackupUseCase, [PrincipalRepository]),
    provide(PatientRewrap, [Ledgers, Cipher, RecordCustodians]),
    provide(RegisterKeysUseCase, [
      PrincipalRepository,
      Ledgers,
      Pseudonymizer,
      Cipher,
      RecordSigner,
      PatientRewrap,
      Clock,
    ]),
    provide(ReplaceSigningKeyUseCase, [PrincipalRepository, Ledgers, Pseudonymizer, Cipher]),
  ],
  exports: [
    AuthenticateUseCase,
    CreateProviderUseCase,
    EnrollPatientUseCase,
    FindPatientUseCase,
    ClaimUseCase,
    TokenLifecycleUseCase,
    ReissueClaimCodeUseCase,
    DescribeMeUseCase,
    GetKeyBackupUseCase,
    RegisterKeysUseCase,
    ReplaceSigningKeyUseCase,
    PatientRewrap,
  ],
})
export class EnrolmentModule {}
