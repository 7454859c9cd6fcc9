import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../domain/bytes';
import { loadOrCreateDeploymentSecrets, p256PublicKey } from './deployment-secrets';

describe('loadOrCreateDeploymentSecrets', () => {
  it('generates secrets once, owner-only, and reads the same ones back', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'emr-secrets-'));
    const first = loadOrCreateDeploymentSecrets(dataDir);
    expect(first.created).toBe(true);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(first.secrets.pseudonymSecret).toHaveLength(32);
    expect(first.secrets.signingPrivateKey).toHaveLength(32);
    expect(bytesToHex(first.secrets.signingPrivateKey)).not.toBe(bytesToHex(first.secrets.keyVaultMasterKey));

    const second = loadOrCreateDeploymentSecrets(dataDir);
    expect(second.created).toBe(false);
    expect(second.secrets).toEqual(first.secrets);
  });

  it('lets configuration override a stored secret', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'emr-secrets-'));
    const override = 'ab'.repeat(32);
    const { secrets, path } = loadOrCreateDeploymentSecrets(dataDir, { pseudonymSecret: override });
    expect(bytesToHex(secrets.pseudonymSecret)).toBe(override);
    expect(readFileSync(path, 'utf8')).not.toContain(override);
  });

  it('derives a 65-byte uncompressed public key', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'emr-secrets-'));
    const { secrets } = loadOrCreateDeploymentSecrets(dataDir);
    const publicKey = p256PublicKey(secrets.signingPrivateKey);
    expect(publicKey).toHaveLength(65);
    expect(publicKey[0]).toBe(0x04);
  });
});
