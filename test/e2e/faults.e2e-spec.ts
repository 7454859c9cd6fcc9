import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { rpc } from '../support/chain-scan';
import { makePng } from '../support/files';
import { LedgerPair } from '../support/ledger-pair';
import { ServiceProcess } from '../support/service-process';

/**
 * Fault tests on real local chains that the tests start, stop and restart themselves; the
 * service reaches them as remote ledgers (LEDGER_BACKEND=rpc).
 */
describe('Faults lose nothing acknowledged (real local chains)', () => {
  const ledgers = new LedgerPair();

  beforeAll(async () => {
    await ledgers.start();
  }, 120_000);

  afterAll(async () => {
    await ledgers.stop();
  });

  describe('in-process service', () => {
    let testApp: TestApp;
    let server: App;
    let provider: Actor;

    beforeAll(async () => {
      testApp = await createTestApp({ ...ledgers.env(), LEDGER_TIMEOUT_MS: '4000' });
      server = testApp.app.getHttpServer();
      provider = await createProvider(server, testApp.adminToken, 'fault-clinic');
      await enrollPatient(server, provider, 'P-FAULT');
    }, 120_000);

    afterAll(async () => {
      await testApp?.close();
    });

    const records = '/api/v1/patients/P-FAULT/records';
    const upload = (file: Buffer, chain: string) =>
      request(server).post(records).set(provider.auth).field('chain', chain).attach('file', file, 'scan.png');
    const read = (recordId: string, chain: string) =>
      request(server).get(`${records}/${recordId}`).query({ chain }).set(provider.auth).buffer(true);

    it('64 concurrent uploads through one signer: 64 records, no nonce errors, every one retrievable', async () => {
      const files = Array.from({ length: 64 }, (_, i) => makePng(6, 6, i));
      const responses = await Promise.all(files.map((file) => upload(file, 'supchain')));
      expect(responses.map((r) => r.status)).toEqual(files.map(() => 201));
      const ids = responses.map((r) => r.body.recordId as string);
      expect(new Set(ids).size).toBe(64);
      const versions = responses.map((r) => r.body.version as number).sort((a, b) => a - b);
      expect(new Set(versions).size).toBe(64);
      for (const [i, id] of ids.entries()) {
        const served = await read(id, 'supchain').expect(200);
        expect(Buffer.compare(served.body as Buffer, files[i])).toBe(0);
      }
    }, 180_000);

    it('one ledger stopped during a burst of 20 `both` uploads: every answer 201 or 202, then both copies everywhere', async () => {
      const files = Array.from({ length: 20 }, (_, i) => makePng(8, 8, 100 + i));
      const burst = files.map(async (file, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 60));
        return upload(file, 'both');
      });
      setTimeout(() => void ledgers.down('medchain'), 300);
      const responses = await Promise.all(burst);
      const statuses = responses.map((r) => r.status);
      expect(statuses.every((status) => status === 201 || status === 202)).toBe(true);
      expect(statuses).toContain(202);

      await ledgers.up('medchain');
      // The service's own background worker writes the owed copies (nothing here nudges it).
      const deadline = Date.now() + 60_000;
      let owed = Infinity;
      while (owed > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const health = await request(server).get('/health');
        owed = health.body.chains?.medchain?.pendingReplicas ?? Infinity;
      }
      expect(owed).toBe(0);
      for (const [i, response] of responses.entries()) {
        for (const chain of ['supchain', 'medchain']) {
          const served = await read(response.body.recordId, chain).expect(200);
          expect(Buffer.compare(served.body as Buffer, files[i])).toBe(0);
        }
        const status = await request(server).get(response.body.statusUrl).set(provider.auth).expect(200);
        expect(status.body.complete).toBe(true);
      }
    }, 180_000);
  });

  describe('the service killed with SIGKILL between a 202 and the catch-up', () => {
    it('completes the copy from the journal after a restart', async () => {
      const adminToken = `admin-${randomBytes(24).toString('hex')}`;
      const dataDir = mkdtempSync(join(tmpdir(), 'emr-sigkill-'));
      const service = new ServiceProcess({
        ...ledgers.env(),
        ADMIN_TOKEN: adminToken,
        DATA_DIR: dataDir,
        LEDGER_TIMEOUT_MS: '4000',
      });
      try {
        await service.start();
        const api = (path: string) => `${service.baseUrl}/api/v1${path}`;
        const token = await service.providerWithPatient(adminToken, 'crash-clinic', 'P-CRASH');
        const provider = { token };

        await ledgers.down('medchain');
        const file = makePng(16, 16, 77);
        const accepted = await service.upload('P-CRASH', token, 'both', file, 'crash.png');
        expect(accepted.status).toBe(202);
        const body = (await accepted.json()) as { recordId: string; statusUrl: string };

        await service.kill();
        await ledgers.up('medchain');
        await service.start();

        const deadline = Date.now() + 60_000;
        let complete = false;
        while (!complete && Date.now() < deadline) {
          const status = await fetch(`${service.baseUrl}${body.statusUrl}`, {
            headers: { Authorization: `Bearer ${provider.token}` },
          });
          complete = ((await status.json()) as { complete: boolean }).complete;
          if (!complete) await new Promise((resolve) => setTimeout(resolve, 500));
        }
        expect(complete).toBe(true);
        const copy = await fetch(api(`/patients/P-CRASH/records/${body.recordId}?chain=medchain`), {
          headers: { Authorization: `Bearer ${provider.token}` },
        });
        expect(copy.status).toBe(200);
        expect(Buffer.from(await copy.arrayBuffer()).equals(file)).toBe(true);
      } finally {
        await service.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 240_000);
  });

  describe('graceful shutdown', () => {
    it('#11.17 finishes an upload still in flight when SIGTERM arrives, before exiting', async () => {
      const adminToken = `admin-${randomBytes(24).toString('hex')}`;
      const dataDir = mkdtempSync(join(tmpdir(), 'emr-sigterm-'));
      const service = new ServiceProcess({
        ...ledgers.env(),
        ADMIN_TOKEN: adminToken,
        DATA_DIR: dataDir,
      });
      try {
        await service.start();
        const api = (path: string) => `${service.baseUrl}/api/v1${path}`;
        const token = await service.providerWithPatient(adminToken, 'calm-clinic', 'P-CALM');
        const provider = { token };

        // SUPchain stops mining: once the upload's first transaction waits in the pool, the
        // upload is provably in flight (reached the ledger, not answered) when the signal goes out.
        const supchain = ledgers.rpcUrl('supchain');
        const pooled = async () => Number(BigInt((await rpc<{ pending: string }>(supchain, 'txpool_status')).pending));
        await rpc(supchain, 'evm_setAutomine', [false]);
        const file = Buffer.concat([makePng(4, 4, 5), randomBytes(3 * 1024 * 1024)]);
        let answered = false;
        const inFlight = service.upload('P-CALM', token, 'supchain', file, 'calm.png').finally(() => (answered = true));
        const deadline = Date.now() + 30_000;
        while ((await pooled()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await pooled()).toBeGreaterThan(0);
        expect(answered).toBe(false);

        const stopping = service.stop();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(answered).toBe(false);
        await rpc(supchain, 'evm_setAutomine', [true]);
        while (!answered) {
          if ((await pooled()) > 0) await rpc(supchain, 'evm_mine');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const response = await inFlight;
        await stopping;
        expect(response.status).toBe(201);
        const created = (await response.json()) as { recordId: string };

        await service.start();
        const copy = await fetch(api(`/patients/P-CALM/records/${created.recordId}?chain=supchain`), {
          headers: { Authorization: `Bearer ${provider.token}` },
        });
        expect(copy.status).toBe(200);
        expect(Buffer.from(await copy.arrayBuffer()).equals(file)).toBe(true);
      } finally {
        await rpc(ledgers.rpcUrl('supchain'), 'evm_setAutomine', [true]);
        await service.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 240_000);
  });
});
