import { Module } from '@nestjs/common';
import { CryptoModule } from '../infrastructure/crypto.module';
import { JournalModule } from '../infrastructure/journal.module';
import { LedgerModule } from '../infrastructure/ledger.module';
import { PrincipalsModule } from '../infrastructure/principals.module';
import { SystemModule } from '../infrastructure/system.module';
import { FhirModule } from '../interfaces/fhir/fhir.module';
import { HttpModule } from '../interfaces/http/http.module';
import { AccessModule } from './access.module';
import { BackgroundModule } from './background.module';
import { configuration } from './configuration';
import { EnrolmentModule } from './enrolment.module';
import { RecordsModule } from './records.module';
import { ReplicationStatusModule } from './replication.module';
import { SharedModule } from './shared.module';

/**
 * The service: configuration, the ports (global infrastructure modules, so every use-case module sees
 * them), the use cases behind the HTTP adapter, and the background work.
 */
@Module({
  imports: [
    configuration(),
    CryptoModule,
    SystemModule,
    PrincipalsModule,
    LedgerModule,
    JournalModule,
    BackgroundModule,
    HttpModule.register([RecordsModule, ReplicationStatusModule, AccessModule, EnrolmentModule, SharedModule]),
    FhirModule.register([RecordsModule, AccessModule, EnrolmentModule]),
  ],
})
export class AppModule {}
