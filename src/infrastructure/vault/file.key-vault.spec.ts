import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { HpkeP256Cipher } from '../crypto/hpke-p256.cipher';
import { NODE_SYNC_FILE_STEPS, SyncFileSteps } from '../journal/durable-file';
import { FileKeyVault } from './file.key-vault';

describe('FileKeyVault', () => {
  const cipher = new HpkeP256Cipher();

  async function vaultIn(dir: string, masterKey = randomBytes(32)) {
    return { vault: new FileKeyVault(dir, masterKey, cipher), masterKey };
  }

  it('creates a key pair once and returns the same one after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'));
    const { vault, masterKey } = await vaultIn(dir);
    const created = await vault.createKeyPair('patient:P-1001');
    expect(created.privateKey).toHaveLength(32);
    expect(created.publicKey).toHaveLength(65);
    expect(await vault.createKeyPair('patient:P-1001')).toEqual(created);

    const { vault: reopened } = await vaultIn(dir, masterKey);
    expect(await reopened.keyPair('patient:P-1001')).toEqual(created);
    expect(await reopened.keyPair('patient:P-9999')).toBeNull();
  });

  it('keeps private keys encrypted, owner-only, under names that reveal no id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'));
    const { vault } = await vaultIn(dir);
    const keyPair = await vault.createKeyPair('patient:P-1001');
    const [file] = readdirSync(dir);
    expect(file).not.toContain('P-1001');
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text).not.toContain(bytesToHex(keyPair.privateKey));
    expect(text).not.toContain('P-1001');
    expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses to open keys with another master key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'));
    const { vault } = await vaultIn(dir);
    await vault.createKeyPair('provider:dr-a');
    const [file] = readdirSync(dir);
    const { vault: other } = await vaultIn(dir, randomBytes(32));
    // another master key derives other file names, so the key is simply not found…
    expect(await other.keyPair('provider:dr-a')).toBeNull();
    // …and a file moved under that name still does not open.
    const moved = new FileKeyVault(dir, randomBytes(32), cipher);
    const target = (moved as unknown as { pathOf(ref: string): string }).pathOf('provider:dr-a');
    writeFileSync(target, readFileSync(join(dir, file)));
    await expect(moved.keyPair('provider:dr-a')).rejects.toThrow(InvalidKeyError);
  });

  it('binds each sealed key to its principal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'));
    const { vault, masterKey } = await vaultIn(dir);
    await vault.createKeyPair('patient:A');
    const pathOf = (ref: string) => (vault as unknown as { pathOf(ref: string): string }).pathOf(ref);
    writeFileSync(pathOf('patient:B'), readFileSync(pathOf('patient:A')));
    const { vault: fresh } = await vaultIn(dir, masterKey);
    await expect(fresh.keyPair('patient:B')).rejects.toThrow(InvalidKeyError);
  });

  it('#11.12 writes a key file durably: file fsync before the rename, directory fsync after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'));
    const steps: string[] = [];
    const paths = new Map<number, string>();
    const recording: SyncFileSteps = {
      ...NODE_SYNC_FILE_STEPS,
      open: (target, flags) => {
        const fd = NODE_SYNC_FILE_STEPS.open(target, flags);
        paths.set(fd, target);
        return fd;
      },
      fsync: (fd) => {
        steps.push(`fsync ${paths.get(fd) === dir ? 'directory' : 'file'}`);
        NODE_SYNC_FILE_STEPS.fsync(fd);
      },
      rename: (from, to) => {
        steps.push('rename');
        NODE_SYNC_FILE_STEPS.rename(from, to);
      },
    };
    await new FileKeyVault(dir, randomBytes(32), cipher, recording).createKeyPair('patient:P-DURABLE');
    expect(steps).toEqual(['fsync file', 'rename', 'fsync directory']);
  });
});
