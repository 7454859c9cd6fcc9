import request from 'supertest';
import type { App } from 'supertest/types';
import { AccessLogWriter } from '../../src/application/access/access-log-writer';
import { Ledgers } from '../../src/domain/ledgers';
import { PatientId } from '../../src/domain/patient-id';
import { Pseudonymizer } from '../../src/domain/ports/pseudonymizer.port';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { readAnvilPid } from '../support/anvil';
import { TestPatient } from '../support/patient-keys';
import { asHex, dumpChain } from '../support/chain-scan';
import { FakeClock } from '../fakes/fake-clock';
import { makePng, pngOfSize } from '../support/files';

const MIB = 1024 * 1024;
const SECOND_MS = 1000;

/**
 * The service on its embedded default: two real anvil chains started by the service, the
 * registries deployed on first start. Every request below goes through real transactions.
 */
describe('Records and access on real local chains (embedded anvil)', () => {
  let testApp: TestApp;
  let server: App;
  let alpha: Actor;
  let beta: Actor;
  let patient: Actor;
  const png = makePng(64, 48, 7);
  const fileName = 'knee-mri-P-7001.png';
  const reason = 'Cardiac arrest in ward 5';
  const records = '/api/v1/patients/P-7001/records';
  const recordIds: Record<string, string> = {};
  const clock = new FakeClock();

  beforeAll(async () => {
    testApp = await createTestApp({ LEDGER_BACKEND: 'embedded', LEDGER_TIMEOUT_MS: '8000' }, undefined, { clock });
    server = testApp.app.getHttpServer();
    alpha = await createProvider(server, testApp.adminToken, 'alpha-evm-clinic');
    beta = await createProvider(server, testApp.adminToken, 'beta-evm-hospital');
    patient = await enrollPatient(server, alpha, 'P-7001');
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
  });

  const read = (actor: Actor, path: string, chain: string) =>
    request(server).get(`${records}/${path}`).query({ chain }).set(actor.auth).buffer(true);

  it('stores on SUPchain and on MEDchain and serves identical bytes with their transactions', async () => {
    for (const chain of ['SUPchain', 'MEDchain']) {
      const created = await request(server)
        .post(records)
        .set(alpha.auth)
        .field('chain', chain)
        .attach('file', png, fileName)
        .expect(201);
      expect(created.body.transactions.length).toBeGreaterThanOrEqual(1);
      expect(created.body.transactions[0]).toMatch(/^0x[0-9a-f]{64}$/);
      expect(created.body.blockNumber).toBeGreaterThan(0);
      recordIds[created.body.chain] = created.body.recordId;
      const served = await read(alpha, 'latest', chain.toLowerCase()).expect(200);
      expect(served.headers['content-type']).toBe('image/png');
      expect(Buffer.compare(served.body as Buffer, png)).toBe(0);
    }
    const health = await request(server).get('/health').expect(200);
    expect(health.body.chains.supchain).toMatchObject({ status: 'up', chainId: 1337101 });
    expect(health.body.chains.medchain).toMatchObject({ status: 'up', chainId: 1337102 });
  });

  it('#11.14 #14 walks the consent story with consent signed by the patient and checked on the ledger', async () => {
    const latest = () => read(beta, 'latest', 'supchain');
    expect((await latest()).status).toBe(403);
    const keys = await TestPatient.register(server, patient);
    expect((await keys.grant(server, 'beta-evm-hospital')).status).toBe(201);
    expect(Buffer.compare((await latest().expect(200)).body as Buffer, png)).toBe(0);
    expect((await keys.revoke(server, 'beta-evm-hospital')).status).toBe(204);
    expect((await latest()).status).toBe(403);

    // An expiry stored on the ledger ends the consent without a transaction. The contract checks
    // it against block time only when granting; reads check it against the service's Clock.
    clock.set(new Date());
    const expiry = new Date(Math.floor(clock.now().getTime() / SECOND_MS) * SECOND_MS + 600 * SECOND_MS);
    const expiresAt = expiry.toISOString();
    expect((await keys.grant(server, 'beta-evm-hospital', expiresAt)).status).toBe(201);
    await latest().expect(200);
    clock.set(new Date(expiry.getTime() - SECOND_MS));
    await latest().expect(200);
    clock.set(expiry);
    expect((await latest()).status).toBe(403);
    const consents = await request(server).get('/api/v1/patients/P-7001/consents').set(patient.auth).expect(200);
    expect(consents.body).toEqual([
      expect.objectContaining({ providerId: 'beta-evm-hospital', active: false, expiresAt }),
    ]);
    await latest().set('X-Break-Glass-Reason', reason).expect(200);

    await testApp.app.get(AccessLogWriter).flush();
    const log = await request(server).get('/api/v1/patients/P-7001/access-log').set(patient.auth).expect(200);
    const emergency = log.body.find((entry: { emergency: boolean }) => entry.emergency);
    expect(emergency).toMatchObject({ accessorId: 'beta-evm-hospital', reason, chain: 'supchain', kind: 'emergency' });
    // Flushed: the entries are on the ledger itself, not only in the in-process queue.
    const patientKey = testApp.app.get(Pseudonymizer).patientKey(PatientId.parse('P-7001'));
    expect(testApp.app.get(AccessLogWriter).pendingFor('supchain', patientKey)).toEqual([]);
    const onChain = await testApp.app.get(Ledgers).access('supchain').accessLog(patientKey, { limit: 100 });
    expect(onChain.map((entry) => entry.kind)).toContain('emergency');
  });

  it('keeps raw ids, file names, tokens and reasons off both chains (state, calldata, events)', async () => {
    for (const repository of testApp.app.get(Ledgers).all()) {
      const dump = await dumpChain((repository as EvmEmrRepository).rpcUrl);
      expect(dump.length).toBeGreaterThan(100_000);
      // The dump is real: the record ids written in the first test are in it.
      expect(dump).toContain(recordIds[repository.chain].slice(2));
      const secrets = [
        'P-7001',
        fileName,
        'knee-mri',
        'alpha-evm-clinic',
        'beta-evm-hospital',
        reason,
        testApp.adminToken,
        alpha.token,
        beta.token,
        patient.token,
      ];
      for (const secret of secrets) {
        expect({ chain: repository.chain, secret, found: dump.includes(asHex(secret).toLowerCase()) }).toEqual({
          chain: repository.chain,
          secret,
          found: false,
        });
      }
    }
  });

  it('refuses a tampered chunk with 422 and serves the good copy with chain=any', async () => {
    const created = await request(server)
      .post(records)
      .set(alpha.auth)
      .field('chain', 'both')
      .attach('file', png, 'x.png')
      .expect(201);
    const supchain = testApp.app.get(Ledgers).get('supchain') as EvmEmrRepository;
    const stored = await findStored(supchain, created.body.recordId);
    const chunk = stored.contentLocation[0];
    const code = await rpcCall<string>(supchain.rpcUrl, 'eth_getCode', [chunk, 'latest']);
    const flipped = code.slice(0, 20) + (code[20] === 'a' ? 'b' : 'a') + code.slice(21);
    await rpcCall(supchain.rpcUrl, 'anvil_setCode', [chunk, flipped]);

    const bad = await read(alpha, created.body.recordId, 'supchain');
    expect(bad.status).toBe(422);
    expect(bad.body.code ?? JSON.parse(bad.text).code).toBe('INTEGRITY_CHECK_FAILED');
    const good = await read(alpha, created.body.recordId, 'any').expect(200);
    expect(Buffer.compare(good.body as Buffer, png)).toBe(0);
    const health = await request(server).get('/health').expect(200);
    expect(health.body.chains.supchain.integrity.lastRecordId).toBe(created.body.recordId);
    expect(health.body.status).toBe('degraded');
  });

  it('answers 503 CHAIN_UNAVAILABLE (not 500, not a hang) when a ledger dies mid-upload; the other keeps serving', async () => {
    const medchain = testApp.app.get(Ledgers).get('medchain') as EvmEmrRepository;
    const pid = readAnvilPid(testApp.dataDir, 'medchain');
    const heightBefore = Number(BigInt(await rpcCall<string>(medchain.rpcUrl, 'eth_blockNumber', [])));
    // 4 MiB is ~57 chunk transactions: the chain dies once the first of them is mined, mid-upload.
    const upload = request(server)
      .post(records)
      .set(alpha.auth)
      .field('chain', 'medchain')
      .attach('file', pngOfSize(4 * MIB), 'late.png');
    const answered = upload.then((response) => response);
    const pollDeadline = Date.now() + 20_000;
    while (Number(BigInt(await rpcCall<string>(medchain.rpcUrl, 'eth_blockNumber', []))) === heightBefore) {
      if (Date.now() > pollDeadline) throw new Error('no chunk transaction was mined on MEDchain');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const response = await answered;
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('CHAIN_UNAVAILABLE');
    expect(response.headers['retry-after']).toBeDefined();
    // LEDGER_TIMEOUT_MS is 8 s here: a dead ledger must not hold the request much past one deadline.
    expect(Date.now() - killedAt).toBeLessThan(8000 + 2000);
    const served = await read(alpha, recordIds.supchain, 'supchain').expect(200);
    expect(Buffer.compare(served.body as Buffer, png)).toBe(0);
    const health = await request(server).get('/health').expect(200);
    expect(health.body.chains.medchain.status).toBe('down');
  }, 60_000);
});

async function rpcCall<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

/** The ledger entry of a record id, whatever patient key it is under (read via the registry view). */
async function findStored(repository: EvmEmrRepository, recordId: string) {
  const { RecordId } = await import('../../src/domain/record-id');
  const id = RecordId.parse(recordId);
  const view = await (
    repository as unknown as { registry: { getRecord(id: string): Promise<{ patientKey: string }> } }
  ).registry.getRecord(recordId);
  const found = await repository.findById(Buffer.from(view.patientKey.slice(2), 'hex'), id);
  if (!found) throw new Error('record not found on the ledger');
  return found;
}
