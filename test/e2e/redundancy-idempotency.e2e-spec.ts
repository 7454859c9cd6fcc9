import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { RepairReplicasUseCase } from '../../src/application/replication/repair-replicas.use-case';
import { NewLedgerRecord } from '../../src/domain/emr-record';
import { ChainUnavailableError } from '../../src/domain/errors';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import { makePng } from '../support/files';
import { filesUnder, redundancyClient, REDUNDANT_PATIENT_RECORDS, startRedundancyApp } from '../support/redundancy-app';
import { wherePhi } from '../fakes/find-phi';

/** Retries under an Idempotency-Key: late commits, a ledger down, concurrent retries, conflicts, and what stays on disk. */
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
