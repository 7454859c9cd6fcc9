import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { RepairReplicasUseCase } from '../../src/application/repair-replicas.use-case';
import { ReplicationWorker } from '../../src/application/replication-worker';
import { Ledgers } from '../../src/domain/ledgers';
import { RecordId } from '../../src/domain/record-id';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makePng } from '../support/files';

describe('Redundancy across the two ledgers (in-memory ledgers with simulated faults)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  let supchain: InMemoryEmrRepository;
  let medchain: InMemoryEmrRepository;
  const records = '/api/v1/patients/P-RED/records';

  beforeAll(async () => {
    testApp = await createTestApp();
    server = testApp.app.getHttpServer();
    provider = await createProvider(server, testApp.adminToken, 'redundant-clinic');
    await enrollPatient(server, provider, 'P-RED');
    const ledgers = testApp.app.get(Ledgers);
    supchain = ledgers.get('supchain') as InMemoryEmrRepository;
    medchain = ledgers.get('medchain') as InMemoryEmrRepository;
  });

  afterEach(() => {
    supchain.setReachable(true);
    medchain.setReachable(true);
  });

  afterAll(async () => {
    await testApp.close();
  });

  const upload = (png: Buffer, chain = 'both', key?: string) => {
    const call = request(server).post(records).set(provider.auth);
    if (key) call.set('Idempotency-Key', key);
    return call.field('chain', chain).attach('file', png, 'scan.png');
  };
  const read = (chain: string, recordId = 'latest') =>
    request(server).get(`${records}/${recordId}`).query({ chain }).set(provider.auth).buffer(true);

  it('writes the same record to both ledgers and answers 201', async () => {
    const png = makePng(12, 12, 1);
    const created = await upload(png).expect(201);
    expect(created.body.chain).toBe('both');
    expect(created.body.replicas.supchain).toMatchObject({ status: 'committed' });
    expect(created.body.replicas.medchain).toMatchObject({ status: 'committed' });
    expect(created.headers.location).toBe(`${records}/${created.body.recordId}?chain=any`);
    for (const chain of ['supchain', 'medchain', 'any']) {
      const served = await read(chain, created.body.recordId).expect(200);
      expect(Buffer.compare(served.body as Buffer, png)).toBe(0);
    }
    const status = await request(server).get(created.body.statusUrl).set(provider.auth).expect(200);
    expect(status.body).toEqual({ recordId: created.body.recordId, complete: true, chains: { supchain: 'committed', medchain: 'committed' } });
  });

  it('accepts with 202 when one ledger is down, journals the copy without plaintext, and catches up', async () => {
    const png = makePng(40, 40, 2);
    medchain.setReachable(false);
    const accepted = await upload(png).expect(202);
    expect(accepted.body.replicas).toEqual({ supchain: expect.objectContaining({ status: 'committed' }), medchain: { status: 'pending' } });

    const journalDir = join(testApp.dataDir, 'replication', 'pending');
    const [entry] = readdirSync(journalDir);
    const journaled = readFileSync(join(journalDir, entry));
    expect(journaled.includes(png.subarray(8, 40))).toBe(false);
    expect(journaled.includes(Buffer.from(png.subarray(8, 40)).toString('base64'))).toBe(false);
    expect(journaled.includes('scan.png')).toBe(false);
    expect(journaled.includes('P-RED')).toBe(false);

    const status = await request(server).get(accepted.body.statusUrl).set(provider.auth).expect(200);
    expect(status.body.chains).toEqual({ supchain: 'committed', medchain: 'pending' });
    const health = await request(server).get('/health').expect(200);
    expect(health.body.chains.medchain).toMatchObject({ status: 'down', pendingReplicas: 1 });

    // Reads fail over while medchain is down.
    expect(Buffer.compare((await read('any').expect(200)).body as Buffer, png)).toBe(0);
    expect((await read('medchain')).status).toBe(503);

    medchain.setReachable(true);
    const report = await testApp.app.get(ReplicationWorker).catchUp();
    expect(report).toEqual({ written: 1, remaining: 0 });
    expect(readdirSync(journalDir)).toEqual([]);
    const copy = await read('medchain', accepted.body.recordId).expect(200);
    expect(Buffer.compare(copy.body as Buffer, png)).toBe(0);
  });

  it('answers 503 and stores nothing when both ledgers are down', async () => {
    supchain.setReachable(false);
    medchain.setReachable(false);
    const response = await upload(makePng(3, 3, 3));
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('CHAIN_UNAVAILABLE');
    expect(response.headers['retry-after']).toBeDefined();
    expect(readdirSync(join(testApp.dataDir, 'replication', 'pending'))).toEqual([]);
  });

  it('serves the good copy when one ledger returns tampered data, and reports the bad one', async () => {
    const png = makePng(20, 20, 4);
    const created = await upload(png).expect(201);
    supchain.tamper(RecordId.parse(created.body.recordId), (entry) => (entry.content[10] ^= 0xff));

    const served = await read('any', created.body.recordId).expect(200);
    expect(Buffer.compare(served.body as Buffer, png)).toBe(0);
    expect((await read('supchain', created.body.recordId)).status).toBe(422);

    const health = await request(server).get('/health').expect(200);
    expect(health.body.chains.supchain.integrity).toMatchObject({ lastRecordId: created.body.recordId });
    expect(health.body.chains.supchain.integrity.failures).toBeGreaterThanOrEqual(1);
    expect(health.body.status).toBe('degraded');
  });

  it('repairs a copy one ledger lost', async () => {
    const png = makePng(9, 9, 5);
    const created = await upload(png).expect(201);
    medchain.simulateLoss(RecordId.parse(created.body.recordId));
    expect((await read('medchain', created.body.recordId)).status).toBe(404);

    const report = await testApp.app.get(RepairReplicasUseCase).execute();
    expect(report.repaired).toBe(1);
    expect(report.unreachable).toBe(0);
    const copy = await read('medchain', created.body.recordId).expect(200);
    expect(Buffer.compare(copy.body as Buffer, png)).toBe(0);
    expect((await testApp.app.get(RepairReplicasUseCase).execute()).repaired).toBe(0);
  });

  describe('Idempotency-Key', () => {
    it('returns the same record for a retry, without writing twice', async () => {
      const png = makePng(7, 7, 6);
      const before = (await request(server).get(records).query({ chain: 'supchain', limit: 100 }).set(provider.auth)).body.items.length;
      const first = await upload(png, 'supchain', 'retry-key-1').expect(201);
      const second = await upload(png, 'supchain', 'retry-key-1').expect(201);
      expect(second.body).toEqual(first.body);
      const after = (await request(server).get(records).query({ chain: 'supchain', limit: 100 }).set(provider.auth)).body.items.length;
      expect(after).toBe(before + 1);
    });

    it('answers concurrent retries with one record', async () => {
      const png = makePng(7, 7, 8);
      const responses = await Promise.all([1, 2, 3].map(() => upload(png, 'supchain', 'retry-key-concurrent')));
      expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
      expect(new Set(responses.map((r) => r.body.recordId)).size).toBe(1);
    });

    it('refuses the same key with a different body (409)', async () => {
      await upload(makePng(7, 7, 9), 'supchain', 'retry-key-2').expect(201);
      const conflict = await upload(makePng(7, 7, 10), 'supchain', 'retry-key-2');
      expect(conflict.status).toBe(409);
      expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
      const otherChain = await upload(makePng(7, 7, 9), 'medchain', 'retry-key-2');
      expect(otherChain.status).toBe(409);
    });

    it('refuses a malformed key', async () => {
      const response = await upload(makePng(2, 2), 'supchain', 'x'.repeat(201));
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('Idempotency-Key');
    });
  });
});
