import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { FakeClock } from '../fakes/fake-clock';
import { pngOfSize } from '../support/files';

const MIB = 1024 * 1024;

/**
 * The largest upload the service accepts, through real transactions on an embedded anvil chain:
 * minutes of chunk transactions, so it runs under `npm run test:slow` (and `npm test`), not `test:e2e`.
 */
describe('A 10 MiB record on a real local chain (embedded anvil)', () => {
  let testApp: TestApp;
  let server: App;
  let alpha: Actor;
  const records = '/api/v1/patients/P-7001/records';
  const clock = new FakeClock();

  beforeAll(async () => {
    testApp = await createTestApp({ LEDGER_BACKEND: 'embedded', LEDGER_TIMEOUT_MS: '8000' }, undefined, { clock });
    server = testApp.app.getHttpServer();
    alpha = await createProvider(server, testApp.adminToken, 'alpha-evm-clinic');
    await enrollPatient(server, alpha, 'P-7001');
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
  });

  const read = (actor: Actor, path: string, chain: string) =>
    request(server).get(`${records}/${path}`).query({ chain }).set(actor.auth).buffer(true);

  it('uploads and serves a 10 MiB file', async () => {
    const big = pngOfSize(10 * MIB);
    const created = await request(server)
      .post(records)
      .set(alpha.auth)
      .field('chain', 'medchain')
      .attach('file', big, 'ct-series.png')
      .expect(201);
    expect(created.body.size).toBe(10 * MIB);
    expect(created.body.transactions.length).toBeGreaterThan(100);
    const served = await read(alpha, created.body.recordId, 'medchain').expect(200);
    expect((served.body as Buffer).equals(big)).toBe(true);
  }, 300_000);
});
