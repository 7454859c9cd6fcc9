import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import { Cipher } from '../domain/ports/cipher.port';
import { Hasher } from '../domain/ports/hasher.port';
import { KeyVault } from '../domain/ports/key-vault.port';
import { Pseudonymizer } from '../domain/ports/pseudonymizer.port';
import { RecordSigner } from '../domain/ports/record-signer.port';
import type { Environment } from '../config/environment';
import { EcdsaP256RecordSigner } from './crypto/ecdsa-p256.signer';
import { HmacPseudonymizer } from './crypto/hmac.pseudonymizer';
import { HpkeP256Cipher } from './crypto/hpke-p256.cipher';
import { NodeHasher } from './crypto/node-crypto.hasher';
import { DeploymentSecrets, loadOrCreateDeploymentSecrets, p256PublicKey } from './secrets/deployment-secrets';
import { PrincipalStoreKey } from './principals/file-principal.repository';
import { FileKeyVault } from './vault/file.key-vault';

/** Injection token for the deployment's secrets; only this module's factories read them. */
export class DeploymentSecretsToken {}

/**
 * Binds the crypto ports (HPKE cipher, ECDSA signer, HMAC pseudonyms, SHA-256 hasher), the key vault and
 * the key principals.json is sealed with: all but the cipher and hasher hang on the deployment's secrets.
 */
@Global()
@Module({
  providers: [
    {
      provide: DeploymentSecretsToken,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>): DeploymentSecrets => {
        const { secrets, path, created, masterKeySource, notes } = loadOrCreateDeploymentSecrets(
          config.get('DATA_DIR', { infer: true }),
          {
            pseudonymSecret: config.get('PSEUDONYM_SECRET', { infer: true }),
            signingPrivateKey: config.get('SIGNING_PRIVATE_KEY', { infer: true }),
            keyVaultMasterKey: config.get('KEY_VAULT_MASTER_KEY', { infer: true }),
          },
          // Remote ledgers: the master key must come from outside the data directory (checked at boot too).
          { masterKeyInDataDir: config.get('LEDGER_BACKEND', { infer: true }) !== 'rpc' },
        );
        const logger = new Logger('Secrets');
        if (created) logger.log(`Generated deployment secrets at ${path} (mode 0600); back this file up.`);
        else logger.log(`Using deployment secrets from ${path}`);
        for (const note of notes) logger.warn(`Deployment secrets: ${note}`);
        logger.log(
          masterKeySource === 'configuration'
            ? 'The key-vault master key comes from configuration.'
            : 'The key-vault master key is kept in the data directory (set KEY_VAULT_MASTER_KEY to keep it elsewhere).',
        );
        return secrets;
      },
    },
    { provide: Cipher, useFactory: () => new HpkeP256Cipher() },
    {
      provide: RecordSigner,
      inject: [DeploymentSecretsToken, ConfigService],
      useFactory: (secrets: DeploymentSecrets, config: ConfigService<Environment, true>) => {
        const publicKey = p256PublicKey(secrets.signingPrivateKey);
        const trusted = config
          .get('TRUSTED_SIGNING_PUBLIC_KEYS', { infer: true })
          .split(',')
          .map((key) => key.trim().replace(/^0x/, ''))
          .filter((key) => key.length > 0)
          .map((key) => Uint8Array.from(Buffer.from(key, 'hex')));
        // Public, and needed later: rotating SIGNING_PRIVATE_KEY means trusting this key.
        new Logger('Secrets').log(
          `Records are signed with public key 0x${Buffer.from(publicKey).toString('hex')}` +
            (trusted.length > 0 ? `; ${trusted.length} earlier key(s) trusted.` : '.'),
        );
        return new EcdsaP256RecordSigner({ privateKey: secrets.signingPrivateKey, publicKey }, trusted);
      },
    },
    {
      provide: Pseudonymizer,
      inject: [DeploymentSecretsToken],
      useFactory: (secrets: DeploymentSecrets) => new HmacPseudonymizer(secrets.pseudonymSecret),
    },
    {
      provide: KeyVault,
      inject: [DeploymentSecretsToken, Cipher, ConfigService],
      useFactory: (secrets: DeploymentSecrets, cipher: Cipher, config: ConfigService<Environment, true>) =>
        new FileKeyVault(join(config.get('DATA_DIR', { infer: true }), 'keys'), secrets.keyVaultMasterKey, cipher),
    },
    {
      provide: PrincipalStoreKey,
      inject: [DeploymentSecretsToken],
      useFactory: (secrets: DeploymentSecrets) => PrincipalStoreKey.fromMasterKey(secrets.keyVaultMasterKey),
    },
    { provide: Hasher, useClass: NodeHasher },
  ],
  exports: [Cipher, RecordSigner, Pseudonymizer, KeyVault, PrincipalStoreKey, Hasher],
})
export class CryptoModule {}
