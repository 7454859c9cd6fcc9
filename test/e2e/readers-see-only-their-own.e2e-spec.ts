import request from 'supertest';
import type { App } from 'supertest/types';
import { AccessLogWriter } from '../../src/application/access/access-log-writer';
import { Ledgers } from '../../src/domain/ledgers';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { FakeClock } from '../fakes/fake-clock';
import { makePng } from '../support/files';

const PROBLEM_JSON = /^application\/problem\+json/;

/** The version a records cursor names (base64url of "v<version>@<chain>"). */
function cursorVersion(cursor: string): number {
  const match = /^v(\d+)@/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new Error('not a records cursor');
  return Number(match[1]);
}

describe('Readers see only what they may read (in-memory ledgers)', () => {
  const clock = new FakeClock(new Date('2030-05-01T09:00:00.000Z'));
  let testApp: TestApp;
  let server: App;
  let alpha: Actor;
  let beta: Actor;
  let gamma: Actor;
  let patient: Actor;
  let otherPatient: Actor;
  let supchain: InMemoryEmrRepository;
  let medchain: InMemoryEmrRepository;

  const records = (patientId: string) => `/api/v1/patients/${patientId}/records`;
  const upload = (reader: Actor, patientId: string, chain: string, seed: number) =>
    request(server)
      .post(records(patientId))
      .set(reader.auth)
      .field('chain', chain)
      .attach('file', makePng(8, 8, seed), 'scan.png');
  const accessLog = (query: Record<string, string | number> = {}) =>
    request(server).get(`/api/v1/patients/${patient.id}/access-log`).query(query).set(patient.auth);

  beforeAll(async () => {
    testApp = await createTestApp({}, undefined, { clock });
    server = testApp.app.getHttpServer();
    alpha = await createProvider(server, testApp.adminToken, 'see-alpha');
    beta = await createProvider(server, testApp.adminToken, 'see-beta');
    gamma = await createProvider(server, testApp.adminToken, 'see-gamma');
    patient = await enrollPatient(server, alpha, 'P-SEE-1');
    otherPatient = await enrollPatient(server, alpha, 'P-SEE-2');
    const ledgers = testApp.app.get(Ledgers);
    supchain = ledgers.get('supchain') as InMemoryEmrRepository;
    medchain = ledgers.get('medchain') as InMemoryEmrRepository;
  });

  afterEach(() => {
    supchain.setReachable(true);
    medchain.setReachable(true);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('#11.7 a provider without consent gets no cursor and no version of records it may not read', async () => {
    for (const seed of [1, 2, 3]) await upload(alpha, patient.id, 'supchain', seed).expect(201);
    const own = await upload(beta, patient.id, 'supchain', 4).expect(201);
    for (const seed of [5, 6]) await upload(alpha, patient.id, 'supchain', seed).expect(201);

    const seenVersions: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const query: Record<string, string | number> = { chain: 'supchain', limit: 1 };
      if (cursor) query.cursor = cursor;
      const answer = await request(server).get(records(patient.id)).query(query).set(beta.auth).expect(200);
      seenVersions.push(...answer.body.items.map((item: { version: number }) => item.version));
      cursor = answer.body.nextCursor ?? undefined;
      if (!cursor) break;
      // A cursor may only name a version the reader was shown.
      expect(seenVersions).toContain(cursorVersion(cursor));
    }
    expect(seenVersions).toEqual([own.body.version]);
    expect(cursor).toBeUndefined();

    const nothing = await request(server)
      .get(records(patient.id))
      .query({ chain: 'supchain', limit: 2 })
      .set(gamma.auth);
    expect(nothing.status).toBe(200);
    expect(nothing.body).toEqual({ items: [], nextCursor: null });
  });

  it('#11.8 the status of a pending copy answers only for its own patient', async () => {
    medchain.setReachable(false);
    const accepted = await upload(alpha, patient.id, 'both', 7).expect(202);
    const recordId = accepted.body.recordId as string;
    const status = (patientId: string, reader: Actor) =>
      request(server)
        .get(`${records(patientId)}/${recordId}/replication`)
        .set(reader.auth);

    expect((await status(patient.id, patient).expect(200)).body.chains).toEqual({
      supchain: 'committed',
      medchain: 'pending',
    });
    for (const [patientId, reader] of [
      [otherPatient.id, otherPatient],
      [otherPatient.id, alpha],
    ] as const) {
      const answer = await status(patientId, reader);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(answer.body).toMatchObject({ code: 'RECORD_NOT_FOUND' });
      expect(JSON.stringify(answer.body)).not.toContain('pending');
    }

    // No ledger vouches for it any more: the owed copy itself decides.
    supchain.setReachable(false);
    expect((await status(patient.id, patient).expect(200)).body.chains).toEqual({
      supchain: 'unreachable',
      medchain: 'pending',
    });
    expect((await status(otherPatient.id, otherPatient)).status).toBe(404);
    expect((await status(patient.id, gamma)).body).toMatchObject({ code: 'CONSENT_REQUIRED' });
  });

  it('#11.19 a `both` upload states version and transactions per ledger; list and metadata agree with it', async () => {
    const answer = await upload(alpha, patient.id, 'both', 8).expect(201);
    const recordId = answer.body.recordId as string;
    expect(answer.body).not.toHaveProperty('version');
    expect(answer.body).not.toHaveProperty('transactions');
    expect(answer.body).not.toHaveProperty('blockNumber');
    // SUPchain holds the earlier uploads, MEDchain does not: the copies' versions differ.
    expect(answer.body.replicas.supchain.version).not.toBe(answer.body.replicas.medchain.version);
    for (const chain of ['supchain', 'medchain']) {
      const replica = answer.body.replicas[chain];
      const metadata = await request(server)
        .get(`${records(patient.id)}/${recordId}/metadata`)
        .query({ chain })
        .set(alpha.auth)
        .expect(200);
      expect(metadata.body).toMatchObject({
        chain,
        version: replica.version,
        transactions: replica.transactions,
        blockNumber: replica.blockNumber,
      });
      const listed = await request(server).get(records(patient.id)).query({ chain, limit: 1 }).set(alpha.auth);
      expect(listed.body.items[0]).toEqual(metadata.body);
    }
  });

  it('#11.2 105 quick reads of an own record are one entry with a count, and a break-glass read stays in view', async () => {
    const own = await upload(gamma, patient.id, 'supchain', 9).expect(201);
    await request(server)
      .get(`${records(patient.id)}/${own.body.recordId}`)
      .query({ chain: 'supchain' })
      .set(beta.auth)
      .set('X-Break-Glass-Reason', 'unconscious on arrival')
      .expect(200);
    for (let n = 0; n < 105; n++) {
      clock.advance(100);
      await request(server)
        .get(`${records(patient.id)}/${own.body.recordId}/metadata`)
        .query({ chain: 'supchain' })
        .set(gamma.auth)
        .expect(200);
    }
    const log = await accessLog().expect(200);
    expect(Array.isArray(log.body)).toBe(true);
    const gammaReads = log.body.filter((entry: { accessorId: string }) => entry.accessorId === 'see-gamma');
    expect(gammaReads).toEqual([
      expect.objectContaining({ kind: 'own-upload', recordId: own.body.recordId, count: 105 }),
    ]);
    expect(log.headers['x-emergency-count']).toBe('1');

    // Flood the first page with distinct reads: the emergency is still counted, and found by its own filter.
    await testApp.app.get(AccessLogWriter).flush();
    for (let n = 0; n < 3; n++) {
      clock.advance(61_000);
      await request(server)
        .get(`${records(patient.id)}/${own.body.recordId}/metadata`)
        .query({ chain: 'supchain' })
        .set(gamma.auth)
        .expect(200);
    }
    // Entries still on their way to a ledger are all on the first page; these are on it now.
    await testApp.app.get(AccessLogWriter).flush();
    const first = await accessLog({ limit: 2 }).expect(200);
    expect(first.body).toHaveLength(2);
    expect(first.body.some((entry: { emergency: boolean }) => entry.emergency)).toBe(false);
    expect(first.headers['x-emergency-count']).toBe('1');
    expect(first.headers['x-next-cursor']).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await accessLog({ limit: 2, cursor: first.headers['x-next-cursor'] }).expect(200);
    expect(second.headers['x-emergency-count']).toBe('1');
    expect(second.body.map((entry: { at: string }) => entry.at)).not.toContain(first.body[1].at);

    const emergencies = await accessLog({ kind: 'emergency' }).expect(200);
    expect(emergencies.body).toEqual([
      expect.objectContaining({ accessorId: 'see-beta', emergency: true, reason: 'unconscious on arrival', count: 1 }),
    ]);
    expect(emergencies.headers['x-next-cursor']).toBeUndefined();

    for (const [query, field] of [
      [{ kind: 'consent' }, 'kind'],
      [{ cursor: 'Zm9yZ2Vk' }, 'cursor'],
      [{ kind: 'emergency', cursor: first.headers['x-next-cursor'] }, 'cursor'],
      [{ limit: 0 }, 'limit'],
    ] as const) {
      const refused = await accessLog(query);
      expect(refused.status).toBe(400);
      expect(refused.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(refused.body.field ?? field).toBe(field);
    }
  });
});
