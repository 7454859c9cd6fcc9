import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { RepairReplicasUseCase } from '../../src/application/replication/repair-replicas.use-case';
import { ReplicationWorker } from '../../src/application/replication/replication-worker';
import { RecordId } from '../../src/domain/record-id';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import { makePng } from '../support/files';
import { filesUnder, redundancyClient, REDUNDANT_PATIENT_RECORDS, startRedundancyApp } from '../support/redundancy-app';
import { wherePhi } from '../fakes/find-phi';

/**
 * Both ledgers written, one down, both down, one tampered, one lost, and the owed copies counted.
 * These tests share the replication journal, so they run in this order in one suite; retries under
 * an Idempotency-Key are in redundancy-idempotency.e2e-spec.ts.
 */
describe('Redundancy across the two ledgers (in-memory ledgers with simulated faults)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  let supchain: InMemoryEmrRepository;
  let medchain: InMemoryEmrRepository;
  const records = REDUNDANT_PATIENT_RECORDS;

  beforeAll(async () => {
    ({ testApp, server, provider, supchain, medchain } = await startRedundancyApp());
  });

  afterEach(() => {
    supchain.setReachable(true);
    medchain.setReachable(true);
  });

  afterAll(async () => {
    await testApp.close();
  });

  const { upload, read } = redundancyClient(() => ({ server, provider }));

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
    expect(status.body).toEqual({
      recordId: created.body.recordId,
      complete: true,
      chains: { supchain: 'committed', medchain: 'committed' },
    });
  });

  it('#11.16 accepts with 202 when one ledger is down, journals the copy without plaintext, and catches up', async () => {
    const marker = Buffer.concat([Buffer.from('EMR-PLAINTEXT-MARKER:'), randomBytes(64)]);
    const png = Buffer.concat([makePng(40, 40, 2), marker]);
    medchain.setReachable(false);
    const accepted = await upload(png).expect(202);
    expect(accepted.body.replicas).toEqual({
      supchain: expect.objectContaining({ status: 'committed' }),
      medchain: { status: 'pending' },
    });

    const journalDir = join(testApp.dataDir, 'replication');
    const pendingDir = join(journalDir, 'pending');
    const entries = readdirSync(pendingDir);
    expect(entries).toHaveLength(1);
    for (const entry of entries) {
      const journaled = JSON.parse(readFileSync(join(pendingDir, entry), 'utf8')) as {
        content: string;
        contentSha256: string;
      };
      const content = Buffer.from(journaled.content, 'base64');
      // AEAD ciphertext of the file: as long as it plus the tag, and nothing of it in the clear.
      expect(content.length).toBeGreaterThan(png.length);
      expect(wherePhi(content, marker)).toBeNull();
    }
    const journalFiles = filesUnder(journalDir);
    expect(journalFiles.length).toBeGreaterThanOrEqual(2);
    for (const file of journalFiles) {
      const bytes = readFileSync(file);
      for (const secret of [marker, 'scan.png', 'P-REDUNDANT-01', 'redundant-clinic', provider.token]) {
        expect({ file, secret, found: wherePhi(bytes, secret) }).toEqual({ file, secret, found: null });
      }
    }

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
    expect(readdirSync(pendingDir)).toEqual([]);
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

  it("counts owed copies for /health and the status URL without reading journal entries' content", async () => {
    const created = await upload(makePng(5, 5, 11)).expect(201);
    // An entry whose content no reader could parse: any code path that opens it fails.
    const pendingDir = join(testApp.dataDir, 'replication', 'pending');
    const poisoned = join(pendingDir, `medchain-${randomBytes(32).toString('hex')}.json`);
    writeFileSync(poisoned, '\u0000 not an entry');
    try {
      const health = await request(server).get('/health').expect(200);
      expect(health.body.chains.medchain.pendingReplicas).toBe(1);
      expect(health.body.chains.supchain.pendingReplicas).toBe(0);
      expect(health.body.status).toBe('degraded');
      const status = await request(server).get(created.body.statusUrl).set(provider.auth).expect(200);
      expect(status.body.complete).toBe(true);
      // The worker leaves the unreadable entry for an operator instead of stopping.
      expect(await testApp.app.get(ReplicationWorker).catchUp()).toEqual({ written: 0, remaining: 1 });
    } finally {
      rmSync(poisoned);
    }
  });
});
