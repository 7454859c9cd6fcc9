import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import { AccessTokens, AdminCredential } from '../domain/access-tokens';
import { Hasher } from '../domain/ports/hasher.port';
import { PrincipalRepository } from '../domain/ports/principal-repository.port';
import { RandomSource } from '../domain/ports/random.port';
import type { Environment } from '../config/environment';
import { FilePrincipalRepository, PrincipalStoreKey } from './principals/file-principal.repository';
import { loadOrCreateAdminTokenHash } from './secrets/admin-token';

/**
 * Binds the principals (patients and providers, DATA_DIR/principals.json), their access tokens and the
 * operator's credential. The admin token comes from ADMIN_TOKEN, or is generated on first start: only
 * its hash is stored (DATA_DIR/secrets/admin-token.sha256) and the token is printed once to the
 * console, never through the logger.
 */
@Global()
@Module({
  providers: [
    {
      provide: PrincipalRepository,
      inject: [ConfigService, PrincipalStoreKey],
      useFactory: (config: ConfigService<Environment, true>, key: PrincipalStoreKey) => {
        const path = join(config.get('DATA_DIR', { infer: true }), 'principals.json');
        const repository = new FilePrincipalRepository(path, key);
        if (repository.migrated > 0) {
          new Logger('Access').log(
            `${path}: ${repository.migrated} principal(s) rewritten under pseudonyms, names sealed.`,
          );
        }
        return repository;
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
        const hash = loadOrCreateAdminTokenHash(
          config.get('DATA_DIR', { infer: true }),
          config.get('ADMIN_TOKEN', { infer: true }),
          tokens,
          {
            // Straight to the console, once: a logger line may be shipped and kept elsewhere.
            showOnce: (token, hashPath) =>
              process.stdout.write(
                `\nThe operator's (admin) token, shown this once (only its hash is kept, in ${hashPath}):\n\n` +
                  `  ${token}\n\nUse it to create providers. Lost? Delete that file and restart for a new one.\n\n`,
              ),
            log: (message) => logger.log(message),
          },
        );
        return new AdminCredential(hash);
      },
    },
  ],
  exports: [PrincipalRepository, AccessTokens, AdminCredential],
})
export class PrincipalsModule {}
