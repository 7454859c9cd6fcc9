import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePng } from '../support/files';
import { ServiceProcess } from '../support/service-process';

/**
 * The newcomer's path: `npm start` on the embedded default (no ledger configuration), upload to
 * SUPchain and to MEDchain, stop it, start it again: every record is still there, byte for byte.
 * Once with Ctrl-C (SIGINT), once with a crash (SIGKILL: no shutdown hook runs at all).
 */
describe('The embedded default keeps every record across restarts', () => {
  const adminToken = `admin-${randomBytes(24).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-restart-'));
  // LEDGER_BACKEND is set explicitly: other suites in this worker may have left it in process.env.
  const service = new ServiceProcess({ LEDGER_BACKEND: 'embedded', DATA_DIR: dataDir, ADMIN_TOKEN: adminToken });
  const uploaded: { chain: string; recordId: string; file: Buffer }[] = [];
  let token = '';

  afterAll(async () => {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const latest = async (chain: string): Promise<Buffer> => {
    const response = await fetch(`${service.baseUrl}/api/v1/patients/P-RESTART/records/latest?chain=${chain}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  };

  const uploadToEach = async (seed: number): Promise<void> => {
    for (const [i, chain] of ['SUPchain', 'MEDchain'].entries()) {
      const file = makePng(20, 20, seed + i);
      const response = await service.upload('P-RESTART', token, chain, file, `restart-${chain}.png`);
      expect(response.status).toBe(201);
      uploaded.push({
        chain: chain.toLowerCase(),
        recordId: ((await response.json()) as { recordId: string }).recordId,
        file,
      });
    }
  };

  const expectEverythingServed = async (): Promise<void> => {
    for (const { chain, recordId, file } of uploaded) {
      const response = await fetch(`${service.baseUrl}/api/v1/patients/P-RESTART/records/${recordId}?chain=${chain}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(file)).toBe(true);
    }
  };

  it('Ctrl-C (SIGINT), start again: both ledgers serve identical bytes', async () => {
    await service.start();
    token = await service.providerWithPatient(adminToken, 'restart-clinic', 'P-RESTART');
    await uploadToEach(1);
    await service.stop('SIGINT');

    await service.start();
    expect((await latest('supchain')).equals(uploaded[0].file)).toBe(true);
    expect((await latest('medchain')).equals(uploaded[1].file)).toBe(true);
    await expectEverythingServed();
  }, 180_000);

  it('SIGKILL (a crash), start again: the orphaned chains are stopped with their state, nothing is lost', async () => {
    await uploadToEach(10);
    await service.kill();

    await service.start();
    expect(service.logs()).toMatch(/outlived the service that started it/);
    await expectEverythingServed();
    expect((await latest('medchain')).equals(uploaded[3].file)).toBe(true);
  }, 180_000);
});
