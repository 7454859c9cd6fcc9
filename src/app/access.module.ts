import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccessLogWriter } from '../application/access/access-log-writer';
import { ACCESS_NOTE_KEY_REF, AccessNoteKey } from '../application/access/access-note-key';
import { BreakGlassBudget } from '../application/access/break-glass-budget';
import { ConsentContextUseCase } from '../application/access/consent-context.use-case';
import { ConsentHistoryUseCase } from '../application/access/consent-history.use-case';
import { EpochKeys } from '../application/access/epoch-keys';
import { GrantConsentUseCase } from '../application/access/grant-consent.use-case';
import { ListEpochsUseCase } from '../application/access/list-epochs.use-case';
import { ListAccessLogUseCase } from '../application/access/list-access-log.use-case';
import { ListConsentsUseCase } from '../application/access/list-consents.use-case';
import { PatientAccess } from '../application/access/patient-access';
import { RecordCustodians } from '../application/access/record-custodians';
import { RevokeConsentUseCase } from '../application/access/revoke-consent.use-case';
import type { Environment } from '../config/environment';
import { Ledgers } from '../domain/ledgers';
import { AccessLogJournal } from '../domain/ports/access-log-journal.port';
import { Cipher } from '../domain/ports/cipher.port';
import { Clock } from '../domain/ports/clock.port';
import { KeyVault } from '../domain/ports/key-vault.port';
import { PrincipalRepository } from '../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { provide, provideFactory } from './provide';

/**
 * Binds src/application/access: who may read a patient's records (consent, break-glass), the consent
 * use cases, and the access log (written by every read, listed by the patient). The writer resumes
 * entries journaled before the last stop; BackgroundModule flushes it on shutdown.
 */
@Module({
  providers: [
    provideFactory(BreakGlassBudget, [ConfigService, Clock], (config: ConfigService<Environment, true>, clock) => {
      return new BreakGlassBudget(config.get('BREAK_GLASS_PER_HOUR', { infer: true }), clock);
    }),
    provideFactory(
      AccessNoteKey,
      [KeyVault],
      async (vault) => new AccessNoteKey(await vault.createKeyPair(ACCESS_NOTE_KEY_REF)),
    ),
    provide(PatientAccess, [
      PrincipalRepository,
      Ledgers,
      Pseudonymizer,
      KeyVault,
      Cipher,
      Clock,
      BreakGlassBudget,
      AccessNoteKey,
      EpochKeys,
      RecordCustodians,
    ]),
    provide(EpochKeys, [Cipher]),
    provide(RecordCustodians, [PrincipalRepository, KeyVault, Cipher]),
    provideFactory(AccessLogWriter, [Ledgers, Cipher, AccessLogJournal], async (ledgers, cipher, journal) => {
      const logger = new Logger('AccessLog');
      const writer = new AccessLogWriter(ledgers, cipher, journal, (message) => logger.warn(message));
      const resumed = await writer.resume();
      if (resumed > 0) logger.log(`Resuming ${resumed} access-log entries journaled before the last stop.`);
      return writer;
    }),
    provide(GrantConsentUseCase, [PrincipalRepository, Ledgers, Pseudonymizer, Clock]),
    provide(RevokeConsentUseCase, [Ledgers, Pseudonymizer]),
    provide(ListConsentsUseCase, [PrincipalRepository, Ledgers, Pseudonymizer, Clock]),
    provide(ListAccessLogUseCase, [Ledgers, Pseudonymizer, AccessNoteKey, Cipher, AccessLogWriter]),
    provide(ConsentContextUseCase, [PrincipalRepository, Ledgers, Pseudonymizer, KeyVault, Clock]),
    provide(ConsentHistoryUseCase, [PrincipalRepository, Ledgers, Pseudonymizer]),
    provide(ListEpochsUseCase, [Ledgers, Pseudonymizer]),
  ],
  exports: [
    PatientAccess,
    RecordCustodians,
    EpochKeys,
    AccessLogWriter,
    GrantConsentUseCase,
    RevokeConsentUseCase,
    ListConsentsUseCase,
    ListAccessLogUseCase,
    ConsentContextUseCase,
    ConsentHistoryUseCase,
    ListEpochsUseCase,
  ],
})
export class AccessModule {}
