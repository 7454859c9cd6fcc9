import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_SYNC_FILE_STEPS, SyncFileSteps } from '../journal/durable-file';
import { FilePrincipalRepository, PrincipalStoreKey } from './file-principal.repository';

describe('FilePrincipalRepository', () => {
  const hash = (n: number) => new Uint8Array(32).fill(n);
  const newPath = () => join(mkdtempSync(join(tmpdir(), 'principals-')), 'principals.json');

  it('adds principals once, finds them by token hash and by role+id, and survives a restart', async () => {
    const path = newPath();
    const key = PrincipalStoreKey.fromMasterKey(randomBytes(32));
    const repository = new FilePrincipalRepository(path, key);
    const createdAt = new Date('2026-01-02T03:04:05.000Z');
    expect(await repository.add({ role: 'provider', id: 'dr-a', name: 'Dr A', createdAt }, hash(1))).toBe(true);
    expect(await repository.add({ role: 'provider', id: 'dr-a', createdAt }, hash(2))).toBe(false);
    expect(await repository.add({ role: 'patient', id: 'dr-a', createdAt }, hash(3))).toBe(true);

    const reopened = new FilePrincipalRepository(path, key);
    expect(await reopened.findByTokenHash(hash(1))).toEqual({ role: 'provider', id: 'dr-a', name: 'Dr A', createdAt });
    expect(await reopened.findByTokenHash(hash(2))).toBeNull();
    expect((await reopened.find('patient', 'dr-a'))?.role).toBe('patient');
    expect(await reopened.find('patient', 'nobody')).toBeNull();
    expect((await reopened.list('provider')).map((principal) => principal.id)).toEqual(['dr-a']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).not.toMatch(/token"/);
  });

  it('#11.11 files principals under pseudonyms with ids and names sealed, readable only with its key', async () => {
    const path = newPath();
    const key = PrincipalStoreKey.fromMasterKey(randomBytes(32));
    const repository = new FilePrincipalRepository(path, key);
    await repository.add({ role: 'patient', id: 'P-CLEAR-1001', createdAt: new Date() }, hash(4));
    await repository.add(
      { role: 'provider', id: 'st-clear', name: 'St Clear Radiology', createdAt: new Date() },
      hash(5),
    );
    const text = readFileSync(path, 'utf8');
    for (const secret of ['P-CLEAR-1001', 'st-clear', 'St Clear Radiology']) {
      expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
      expect(text).not.toContain(Buffer.from(secret).toString('hex'));
    }
    expect(() => new FilePrincipalRepository(path, PrincipalStoreKey.fromMasterKey(randomBytes(32)))).toThrow(
      /KEY_VAULT_MASTER_KEY/,
    );
  });

  it('#11.11 rewrites a file in the earlier clear form on load, keeping every token', async () => {
    const path = newPath();
    const createdAt = '2026-01-02T03:04:05.000Z';
    writeFileSync(
      path,
      JSON.stringify({
        principals: [
          {
            role: 'provider',
            id: 'old-clinic',
            name: 'Old Clinic',
            createdAt,
            tokenHash: Buffer.from(hash(6)).toString('hex'),
          },
          { role: 'patient', id: 'P-OLD', createdAt, tokenHash: Buffer.from(hash(7)).toString('hex') },
        ],
      }),
    );
    const key = PrincipalStoreKey.fromMasterKey(randomBytes(32));
    const migrated = new FilePrincipalRepository(path, key);
    expect(migrated.migrated).toBe(2);
    expect(readFileSync(path, 'utf8')).not.toMatch(/old-clinic|Old Clinic|P-OLD/);
    const reopened = new FilePrincipalRepository(path, key);
    expect(reopened.migrated).toBe(0);
    expect(await reopened.findByTokenHash(hash(6))).toEqual({
      role: 'provider',
      id: 'old-clinic',
      name: 'Old Clinic',
      createdAt: new Date(createdAt),
    });
    expect((await reopened.find('patient', 'P-OLD'))?.id).toBe('P-OLD');
  });

  it('#11.12 writes principals.json durably: file fsync before the rename, directory fsync after, before add returns', async () => {
    const path = newPath();
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
        steps.push(`fsync ${paths.get(fd) === join(path, '..') ? 'directory' : 'file'}`);
        NODE_SYNC_FILE_STEPS.fsync(fd);
      },
      rename: (from, to) => {
        steps.push(`rename to ${to === path ? 'target' : to}`);
        NODE_SYNC_FILE_STEPS.rename(from, to);
      },
    };
    const repository = new FilePrincipalRepository(path, PrincipalStoreKey.fromMasterKey(randomBytes(32)), recording);
    await repository.add({ role: 'patient', id: 'P-DURABLE', createdAt: new Date() }, hash(8));
    expect(steps).toEqual(['fsync file', 'rename to target', 'fsync directory']);
  });

  it('#13 keeps a pending claim code by hash: spent once, not after it expires, voided by a new one; survives a restart', async () => {
    const path = newPath();
    const key = PrincipalStoreKey.fromMasterKey(randomBytes(32));
    const repository = new FilePrincipalRepository(path, key);
    const createdAt = new Date('2026-06-01T00:00:00.000Z');
    const expiresAt = new Date('2026-06-08T00:00:00.000Z');
    const principal = { role: 'patient' as const, id: 'P-CLAIM', createdAt, createdBy: 'dr-enrol' };
    expect(await repository.add(principal, null, { hash: hash(20), expiresAt })).toBe(true);
    expect(await repository.findByTokenHash(hash(20))).toBeNull();

    // Voided by a new code; the old one no longer redeems.
    expect(await repository.setClaimCode('patient', 'P-CLAIM', { hash: hash(21), expiresAt })).toBe(true);
    expect(await repository.setClaimCode('patient', 'P-NOBODY', { hash: hash(29), expiresAt })).toBe(false);
    expect(await repository.redeemClaimCode(hash(20), hash(30), createdAt)).toBeNull();
    // Expired at its expiry instant.
    expect(await repository.redeemClaimCode(hash(21), hash(30), expiresAt)).toBeNull();
    const claimedAt = new Date(expiresAt.getTime() - 1);
    expect(await repository.redeemClaimCode(hash(21), hash(30), claimedAt)).toEqual({ ...principal, claimedAt });
    expect(await repository.redeemClaimCode(hash(21), hash(31), claimedAt)).toBeNull();
    expect((await repository.findByTokenHash(hash(30)))?.id).toBe('P-CLAIM');

    const reopened = new FilePrincipalRepository(path, key);
    expect(await reopened.find('patient', 'P-CLAIM')).toEqual({ ...principal, claimedAt });
    expect(await reopened.redeemClaimCode(hash(21), hash(31), claimedAt)).toBeNull();
    const onDisk = readFileSync(path, 'utf8');
    expect(onDisk).not.toContain('dr-enrol');
    expect(onDisk).not.toContain(Buffer.from(hash(21)).toString('hex'));
  });

  it('#13 replaces or drops the token: rotation and signing out everywhere', async () => {
    const path = newPath();
    const key = PrincipalStoreKey.fromMasterKey(randomBytes(32));
    const repository = new FilePrincipalRepository(path, key);
    await repository.add({ role: 'provider', id: 'dr-rot', createdAt: new Date() }, hash(40));
    await repository.setTokenHash('provider', 'dr-rot', hash(41));
    expect(await repository.findByTokenHash(hash(40))).toBeNull();
    expect((await repository.findByTokenHash(hash(41)))?.id).toBe('dr-rot');
    await repository.setTokenHash('provider', 'dr-rot', null);
    expect(await repository.findByTokenHash(hash(41))).toBeNull();
    const reopened = new FilePrincipalRepository(path, key);
    expect(await reopened.findByTokenHash(hash(41))).toBeNull();
    expect((await reopened.find('provider', 'dr-rot'))?.id).toBe('dr-rot');
  });

  it("#14 replaces a patient's signing key and backup, keeping the replaced keys oldest first; survives a restart", async () => {
    const path = newPath();
    const key = PrincipalStoreKey.fromMasterKey(randomBytes(32));
    const repository = new FilePrincipalRepository(path, key);
    const point = (n: number) => Uint8Array.of(0x04, ...new Uint8Array(64).fill(n));
    expect(await repository.replaceSigningKey('pat-k', point(2), hash(50))).toBe(false);
    await repository.add({ role: 'patient', id: 'pat-k', createdAt: new Date() }, hash(51));
    expect(await repository.replaceSigningKey('pat-k', point(2), hash(50))).toBe(false); // no keys yet
    const registeredAt = new Date('2026-02-03T04:05:06.000Z');
    const keys = { encryptionPublicKey: point(9), signingPublicKey: point(1), registeredAt };
    await repository.registerKeys('pat-k', keys, hash(52));
    expect(await repository.replaceSigningKey('pat-k', point(2), hash(53))).toBe(true);
    expect(await repository.replaceSigningKey('pat-k', point(3), hash(54))).toBe(true);
    const reopened = new FilePrincipalRepository(path, key);
    expect((await reopened.find('patient', 'pat-k'))?.keys).toEqual({
      ...keys,
      signingPublicKey: point(3),
      formerSigningKeys: [point(1), point(2)],
    });
    expect((await reopened.findByTokenHash(hash(51)))?.keys?.signingPublicKey).toEqual(point(3));
    expect(await reopened.keyBackup('pat-k')).toEqual(hash(54));
  });
});
