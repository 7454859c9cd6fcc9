import { Module } from '@nestjs/common';
import { AuthenticateUseCase } from '../application/enrolment/authenticate.use-case';
import { CreateProviderUseCase } from '../application/enrolment/create-provider.use-case';
import { Enrolment } from '../application/enrolment/enrolment';
import { EnrollPatientUseCase } from '../application/enrolment/enroll-patient.use-case';
import { FindPatientUseCase } from '../application/enrolment/find-patient.use-case';
import { AccessTokens, AdminCredential } from '../domain/access-tokens';
import { Ledgers } from '../domain/ledgers';
import { Clock } from '../domain/ports/clock.port';
import { KeyVault } from '../domain/ports/key-vault.port';
import { PrincipalRepository } from '../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { provide } from './provide';

/** Binds src/application/enrolment: enrolling patients and providers, and telling who a bearer token is. */
@Module({
  providers: [
    provide(Enrolment, [PrincipalRepository, KeyVault, Ledgers, AccessTokens, Clock]),
    provide(AuthenticateUseCase, [PrincipalRepository, AccessTokens, AdminCredential]),
    provide(CreateProviderUseCase, [Enrolment, Pseudonymizer]),
    provide(EnrollPatientUseCase, [Enrolment, Pseudonymizer]),
    provide(FindPatientUseCase, [PrincipalRepository]),
  ],
  exports: [AuthenticateUseCase, CreateProviderUseCase, EnrollPatientUseCase, FindPatientUseCase],
})
export class EnrolmentModule {}
