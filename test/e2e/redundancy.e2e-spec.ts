import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { RepairReplicasUseCase } from '../../src/application/replication/repair-replicas.use-case';
import { ReplicationWorker } from '../../src/application/replication/replication-worker';
import { NewLedgerRecord } from '../../src/domain/emr-record';
import { ChainUnavailableError } from '../../src/domain/errors';
import { Ledgers } from '../../src/domain/ledgers';
import { RecordId } from '../../src/domain/record-id';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makePng } from '../support/files';
import { wherePhi } from '../fakes/find-phi';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('Redundancy across the two ledgers (in-memory ledgers with simulated faults)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  let supchain: InMemoryEmrRepository;
  let medchain: InMemoryEmrRepository;
  const records = '/api/v1/patients/P-REDUNDANT-01/records';

  beforeAll(async () => {
    testApp = await createTestApp();
    server = testApp.app.getHttpServer();
    provider = await createProvider(server, testApp.adminToken, 'redundant-clinic');
    await enrollPatient(server, provider, 'P-REDUNDANT-01');
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

  describe('Idempotency-Key', () => {
    const history = async (chain: string) =>
      (await request(server).get(records).query({ chain, limit: 100 }).set(provider.auth).expect(200)).body.items as {
        recordId: string;
      }[];

    /** The next append on `repository` commits, then fails as a commit mined after LEDGER_TIMEOUT_MS does. */
    const commitLate = (repository: InMemoryEmrRepository) => {
      const append = repository.append.bind(repository);
      return jest.spyOn(repository, 'append').mockImplementationOnce(async (record: NewLedgerRecord) => {
        await append(record);
        throw new ChainUnavailableError(`Ledger ${repository.chain} did not answer in time.`);
      });
    };

    afterEach(() => jest.restoreAllMocks());

    it('a 503 whose commit landed late: the retry returns that record, and no second one is written', async () => {
      const png = makePng(7, 7, 21);
      const before = await history('supchain');
      commitLate(supchain);
      const failed = await upload(png, 'supchain', 'late-commit-1');
      expect(failed.status).toBe(503);
      const landed = await history('supchain');
      expect(landed).toHaveLength(before.length + 1);

      const retried = await upload(png, 'supchain', 'late-commit-1').expect(201);
      expect(retried.body.recordId).toBe(landed[0].recordId);
      expect(await history('supchain')).toHaveLength(before.length + 1);
      const again = await upload(png, 'supchain', 'late-commit-1').expect(201);
      expect(again.body).toEqual(retried.body);
      const served = await read('supchain', retried.body.recordId).expect(200);
      expect(Buffer.compare(served.body as Buffer, png)).toBe(0);
    });

    it('`both`, one ledger late and the other down: the retry completes the same record on both, same ciphertext', async () => {
      const png = makePng(7, 7, 22);
      const before = { supchain: (await history('supchain')).length, medchain: (await history('medchain')).length };
      commitLate(supchain);
      medchain.setReachable(false);
      expect((await upload(png, 'both', 'late-commit-2')).status).toBe(503);
      medchain.setReachable(true);

      const retried = await upload(png, 'both', 'late-commit-2').expect(201);
      expect(retried.body.replicas).toEqual({
        supchain: expect.objectContaining({ status: 'committed' }),
        medchain: expect.objectContaining({ status: 'committed' }),
      });
      expect((await history('supchain')).length).toBe(before.supchain + 1);
      expect((await history('medchain')).length).toBe(before.medchain + 1);
      for (const chain of ['supchain', 'medchain']) {
        const served = await read(chain, retried.body.recordId).expect(200);
        expect(Buffer.compare(served.body as Buffer, png)).toBe(0);
        const metadata = await request(server)
          .get(`${records}/${retried.body.recordId}/metadata`)
          .query({ chain })
          .set(provider.auth);
        expect(metadata.body.ciphertextSha256).toBe(retried.body.ciphertextSha256);
      }
      expect((await testApp.app.get(RepairReplicasUseCase).execute()).repaired).toBe(0);
    });

    it('a 503 that committed nowhere: the retry writes under the record id chosen for the first attempt', async () => {
      const png = makePng(7, 7, 23);
      const appends = jest.spyOn(supchain, 'append');
      supchain.setReachable(false);
      expect((await upload(png, 'supchain', 'late-commit-3')).status).toBe(503);
      supchain.setReachable(true);
      const retried = await upload(png, 'supchain', 'late-commit-3').expect(201);
      expect(appends.mock.calls.map(([record]) => record.recordId.hex)).toEqual([
        retried.body.recordId,
        retried.body.recordId,
      ]);
    });

    it('#11.16 keeps no patient id, file name, provider id or raw key on disk, in any encoding', async () => {
      const rawKey = `phi-check-${randomBytes(8).toString('hex')}`;
      await upload(makePng(7, 7, 24), 'both', rawKey).expect(201);
      const files = filesUnder(join(testApp.dataDir, 'idempotency'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        expect(file.split('/').pop()).toMatch(/^[0-9a-f]{64}\.json$/);
        const bytes = readFileSync(file);
        for (const secret of ['P-REDUNDANT-01', 'scan.png', 'redundant-clinic', rawKey, 'image/png']) {
          expect({ file, secret, found: wherePhi(bytes, secret) }).toEqual({ file, secret, found: null });
        }
      }
    });

    it('returns the same record for a retry, without writing twice', async () => {
      const png = makePng(7, 7, 6);
      const before = (await request(server).get(records).query({ chain: 'supchain', limit: 100 }).set(provider.auth))
        .body.items.length;
      const first = await upload(png, 'supchain', 'retry-key-1').expect(201);
      const second = await upload(png, 'supchain', 'retry-key-1').expect(201);
      expect(second.body).toEqual(first.body);
      const after = (await request(server).get(records).query({ chain: 'supchain', limit: 100 }).set(provider.auth))
        .body.items.length;
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
