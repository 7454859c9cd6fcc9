import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessTokens, AdminCredential } from '../domain/access-tokens';
import { AccessLogJournal } from '../domain/ports/access-log-journal.port';
import { Hasher } from '../domain/ports/hasher.port';
import { PrincipalRepository } from '../domain/ports/principal-repository.port';
import { RandomSource } from '../domain/ports/random.port';
import type { Environment } from '../config/environment';
import { FileAccessLogJournal } from './journal/file-access-log.journal';
import { InMemoryAccessLogJournal } from './memory/in-memory-access-log.journal';
import { FilePrincipalRepository } from './principals/file-principal.repository';

const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Principals, the operator's credential and the access-log journal. The admin token comes
 * from ADMIN_TOKEN, or is generated once into DATA_DIR/secrets/admin-token (0600); only that
 * file's location is ever logged, never the token. The access-log journal lives under
 * DATA_DIR/access-log, except with LEDGER_BACKEND=memory, whose ledgers die with the process.
 */
@Global()
@Module({
  providers: [
    {
      provide: PrincipalRepository,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new FilePrincipalRepository(join(config.get('DATA_DIR', { infer: true }), 'principals.json')),
    },
    {
      provide: AccessLogJournal,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>): AccessLogJournal => {
        if (config.get('LEDGER_BACKEND', { infer: true }) === 'memory') return new InMemoryAccessLogJournal();
        const logger = new Logger('AccessLog');
        return new FileAccessLogJournal(join(config.get('DATA_DIR', { infer: true }), 'access-log'), (message) =>
          logger.error(message),
        );
      },
    },
    {
      provide: AccessTokens,
      inject: [Hasher, RandomSource],
      useFactory: (hasher: Hasher, random: RandomSource) => new AccessTokens(hasher, random),
    },
    {
      provide: AdminCredential,
      inject: [ConfigService, AccessTokens],
      useFactory: (config: ConfigService<Environment, true>, tokens: AccessTokens) => {
        const logger = new Logger('Access');
        const configured = config.get('ADMIN_TOKEN', { infer: true });
        if (configured) return new AdminCredential(tokens.hash(configured));
        const dir = join(config.get('DATA_DIR', { infer: true }), 'secrets');
        const path = join(dir, ADMIN_TOKEN_FILE);
        if (!existsSync(path)) {
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          writeFileSync(path, `${tokens.issue().token}\n`, { mode: 0o600, flag: 'wx' });
          logger.log(`Generated the admin token into ${path} (mode 0600). Use it to create providers.`);
        } else {
          logger.log(`Admin token: see ${path}`);
        }
        return new AdminCredential(tokens.hash(readFileSync(path, 'utf8').trim()));
      },
    },
  ],
  exports: [PrincipalRepository, AccessTokens, AdminCredential, AccessLogJournal],
})
export class AccessModule {}
