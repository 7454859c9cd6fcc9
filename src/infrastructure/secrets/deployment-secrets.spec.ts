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

  it('#11.11 never writes a configured master key; removes the same key an earlier version stored', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'emr-secrets-'));
    const configured = 'cd'.repeat(32);
    const remote = { masterKeyInDataDir: false };
    const first = loadOrCreateDeploymentSecrets(dataDir, { keyVaultMasterKey: configured }, remote);
    expect(bytesToHex(first.secrets.keyVaultMasterKey)).toBe(configured);
    expect(first.masterKeySource).toBe('configuration');
    expect(readFileSync(first.path, 'utf8')).not.toMatch(/keyVaultMasterKey|cdcdcdcd/);
    expect(() => loadOrCreateDeploymentSecrets(dataDir, {}, remote)).toThrow(/KEY_VAULT_MASTER_KEY/);

    const earlier = mkdtempSync(join(tmpdir(), 'emr-secrets-'));
    const stored = loadOrCreateDeploymentSecrets(earlier);
    expect(stored.masterKeySource).toBe('data directory');
    const storedKey = bytesToHex(stored.secrets.keyVaultMasterKey);
    expect(readFileSync(stored.path, 'utf8')).toContain(storedKey);
    const moved = loadOrCreateDeploymentSecrets(earlier, { keyVaultMasterKey: storedKey }, remote);
    expect(moved.notes.join('\n')).toMatch(/removed the key-vault master key/);
    expect(readFileSync(stored.path, 'utf8')).not.toContain(storedKey);
    expect(moved.secrets.pseudonymSecret).toEqual(stored.secrets.pseudonymSecret);
  });

  it('derives a 65-byte uncompressed public key', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'emr-secrets-'));
    const { secrets } = loadOrCreateDeploymentSecrets(dataDir);
    const publicKey = p256PublicKey(secrets.signingPrivateKey);
    expect(publicKey).toHaveLength(65);
    expect(publicKey[0]).toBe(0x04);
  });
});
