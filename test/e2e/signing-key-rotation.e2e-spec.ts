import { createECDH, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePng } from '../support/files';
import { ServiceProcess } from '../support/service-process';

function p256KeyPair(): { privateKey: string; publicKey: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    privateKey: ecdh.getPrivateKey('hex').padStart(64, '0'),
    publicKey: ecdh.getPublicKey('hex', 'uncompressed'),
  };
}

/**
 * Rotating SIGNING_PRIVATE_KEY: records signed by the old key fail verification (422) unless the
 * old public key is kept in TRUSTED_SIGNING_PUBLIC_KEYS; new records are signed by the new key.
 */
describe('Rotating the record-signing key', () => {
  const adminToken = `admin-${randomBytes(24).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-rotate-'));
  const oldKey = p256KeyPair();
  const newKey = p256KeyPair();
  const base = { LEDGER_BACKEND: 'embedded', DATA_DIR: dataDir, ADMIN_TOKEN: adminToken };
  let service: ServiceProcess | null = null;

  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const run = async (env: Record<string, string>): Promise<ServiceProcess> => {
    await service?.stop();
    service = new ServiceProcess({ ...base, ...env });
    await service.start();
    return service;
  };
  const read = async (running: ServiceProcess, token: string, recordId: string) =>
    fetch(`${running.baseUrl}/api/v1/patients/P-ROTATE/records/${recordId}?chain=supchain`, {
      headers: { Authorization: `Bearer ${token}` },
    });

  it('#11.17 keeps old records readable only while the old public key is trusted, and signs new ones with the new key', async () => {
    let running = await run({ SIGNING_PRIVATE_KEY: oldKey.privateKey });
    expect(running.logs()).toContain(`Records are signed with public key 0x${oldKey.publicKey}`);
    const token = await running.providerWithPatient(adminToken, 'rotate-clinic', 'P-ROTATE');
    const oldFile = makePng(10, 10, 3);
    const created = await running.upload('P-ROTATE', token, 'supchain', oldFile, 'old.png');
    expect(created.status).toBe(201);
    const { recordId: oldRecord } = (await created.json()) as { recordId: string };
    expect((await read(running, token, oldRecord)).status).toBe(200);

    // Rotated, the old key still trusted: old records read, new ones are signed with the new key.
    running = await run({
      SIGNING_PRIVATE_KEY: newKey.privateKey,
      TRUSTED_SIGNING_PUBLIC_KEYS: `0x${oldKey.publicKey}`,
    });
    expect(running.logs()).toContain(
      `Records are signed with public key 0x${newKey.publicKey}; 1 earlier key(s) trusted`,
    );
    const served = await read(running, token, oldRecord);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(oldFile)).toBe(true);
    const newFile = makePng(10, 10, 4);
    const fresh = await running.upload('P-ROTATE', token, 'supchain', newFile, 'new.png');
    expect(fresh.status).toBe(201);
    const { recordId: newRecord } = (await fresh.json()) as { recordId: string };
    expect((await read(running, token, newRecord)).status).toBe(200);

    // Only the new key trusted: the new record verifies under it alone (so it signed it); the old one does not.
    running = await run({ SIGNING_PRIVATE_KEY: newKey.privateKey });
    const refused = await read(running, token, oldRecord);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { code: string }).code).toBe('INTEGRITY_CHECK_FAILED');
    const verified = await read(running, token, newRecord);
    expect(verified.status).toBe(200);
    expect(Buffer.from(await verified.arrayBuffer()).equals(newFile)).toBe(true);
  }, 240_000);
});
