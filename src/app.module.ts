import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { validateEnvironment } from './config/environment';
import { AccessModule } from './infrastructure/access.module';
import { LedgerModule } from './infrastructure/ledger.module';
import { ReplicationModule } from './infrastructure/replication.module';
import { SecurityModule } from './infrastructure/security.module';
import { HttpModule } from './interfaces/http/http.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateEnvironment }),
    SecurityModule,
    AccessModule,
    LedgerModule,
    ReplicationModule,
    HttpModule,
  ],
})
export class AppModule {}
