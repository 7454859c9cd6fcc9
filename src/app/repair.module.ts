import { Module } from '@nestjs/common';
import { CryptoModule } from '../infrastructure/crypto.module';
import { JournalModule } from '../infrastructure/journal.module';
import { LedgerModule } from '../infrastructure/ledger.module';
import { SystemModule } from '../infrastructure/system.module';
import { configuration } from './configuration';
import { ReplicationModule } from './replication.module';

/**
 * `npm run repair`: only what RepairReplicasUseCase needs. No HTTP stack, no background worker racing
 * the repair, no principals (so a first run never generates the operator's token here), no access log.
 */
@Module({
  imports: [configuration(), CryptoModule, SystemModule, LedgerModule, JournalModule, ReplicationModule],
})
export class RepairModule {}
