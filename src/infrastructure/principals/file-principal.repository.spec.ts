import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilePrincipalRepository } from './file-principal.repository';

describe('FilePrincipalRepository', () => {
  const hash = (n: number) => new Uint8Array(32).fill(n);

  it('adds principals once, finds them by token hash and by role+id, and survives a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'principals-')), 'principals.json');
    const repository = new FilePrincipalRepository(path);
    const createdAt = new Date('2026-01-02T03:04:05.000Z');
    expect(await repository.add({ role: 'provider', id: 'dr-a', name: 'Dr A', createdAt }, hash(1))).toBe(true);
    expect(await repository.add({ role: 'provider', id: 'dr-a', createdAt }, hash(2))).toBe(false);
    expect(await repository.add({ role: 'patient', id: 'dr-a', createdAt }, hash(3))).toBe(true);

    const reopened = new FilePrincipalRepository(path);
    expect(await reopened.findByTokenHash(hash(1))).toEqual({ role: 'provider', id: 'dr-a', name: 'Dr A', createdAt });
    expect(await reopened.findByTokenHash(hash(2))).toBeNull();
    expect((await reopened.find('patient', 'dr-a'))?.role).toBe('patient');
    expect(await reopened.find('patient', 'nobody')).toBeNull();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).not.toMatch(/token"/);
  });
});
