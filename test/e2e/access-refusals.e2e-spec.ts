import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makePng } from '../support/files';

const PROBLEM_JSON = /^application\/problem\+json/;

/**
 * Who may not: another patient, the admin, a provider, and anyone without a token. The actors of
 * access-story.e2e-spec.ts, set up directly: two providers, a patient of each, one record.
 */
describe('Patient-centric access (in-memory ledgers)', () => {
  let testApp: TestApp;
  let server: App;
  let admin: Record<string, string>;
  let alpha: Actor;
  let otherPatient: Actor;
  let recordId: string;
  const png = makePng(24, 24, 42);

  const records = (patientId: string) => `/api/v1/patients/${patientId}/records`;

  function expectProblem(response: request.Response, status: number, code: string): void {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status, code });
  }

  beforeAll(async () => {
    testApp = await createTestApp();
    server = testApp.app.getHttpServer();
    admin = { Authorization: `Bearer ${testApp.adminToken}` };
    alpha = await createProvider(server, testApp.adminToken, 'alpha-clinic');
    const beta = await createProvider(server, testApp.adminToken, 'beta-hospital');
    await enrollPatient(server, alpha, 'P-4711');
    otherPatient = await enrollPatient(server, beta, 'P-0815');
    const created = await request(server)
      .post(records('P-4711'))
      .set(alpha.auth)
      .field('chain', 'supchain')
      .attach('file', png, 'chest-xray-P-4711.png')
      .expect(201);
    recordId = created.body.recordId;
  });

  afterAll(async () => {
    await testApp.close();
  });

  describe("a patient's token cannot reach another patient's records", () => {
    it.each([
      ['GET', () => records('P-4711') + '?chain=supchain'],
      ['GET', () => `${records('P-4711')}/latest?chain=supchain`],
      ['GET', () => `${records('P-4711')}/${recordId}?chain=supchain`],
      ['GET', () => `${records('P-4711')}/${recordId}/metadata?chain=supchain`],
      ['POST', () => records('P-4711')],
      ['GET', () => '/api/v1/patients/P-4711/consents'],
      ['POST', () => '/api/v1/patients/P-4711/consents'],
      ['DELETE', () => '/api/v1/patients/P-4711/consents/beta-hospital'],
      ['GET', () => '/api/v1/patients/P-4711/access-log'],
    ])('%s %s', async (method, path) => {
      let call = request(server)[method.toLowerCase() as 'get' | 'post' | 'delete'](path()).set(otherPatient.auth);
      if (method === 'POST' && path().endsWith('/records'))
        call = call.field('chain', 'supchain').attach('file', png, 'a.png');
      if (method === 'POST' && path().endsWith('/consents')) call = call.send({ providerId: 'beta-hospital' });
      expectProblem(await call, 403, 'FORBIDDEN');
    });

    it('nor can the admin read medical records', async () => {
      const response = await request(server)
        .get(`${records('P-4711')}/latest?chain=supchain`)
        .set(admin);
      expectProblem(response, 403, 'FORBIDDEN');
    });

    it('providers cannot manage consents or read the access log', async () => {
      expectProblem(await request(server).get('/api/v1/patients/P-4711/access-log').set(alpha.auth), 403, 'FORBIDDEN');
      expectProblem(
        await request(server)
          .post('/api/v1/patients/P-4711/consents')
          .set(alpha.auth)
          .send({ providerId: 'alpha-clinic' }),
        403,
        'FORBIDDEN',
      );
    });
  });

  describe('no token, no access', () => {
    const routes: [string, string][] = [
      ['POST', '/api/v1/providers'],
      ['POST', '/api/v1/patients'],
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/patients/P-4711/records?chain=supchain'],
      ['POST', '/api/v1/patients/P-4711/records'],
      ['GET', '/api/v1/patients/P-4711/records/latest?chain=supchain'],
      ['GET', `/api/v1/patients/P-4711/records/0x${'ab'.repeat(32)}?chain=supchain`],
      ['GET', `/api/v1/patients/P-4711/records/0x${'ab'.repeat(32)}/metadata?chain=supchain`],
      ['POST', '/api/v1/patients/P-4711/consents'],
      ['GET', '/api/v1/patients/P-4711/consents'],
      ['DELETE', '/api/v1/patients/P-4711/consents/beta-hospital'],
      ['GET', '/api/v1/patients/P-4711/access-log'],
    ];

    it.each(routes)('%s %s → 401 without a token, and with an unknown one', async (method, path) => {
      const verb = method.toLowerCase() as 'get' | 'post' | 'delete';
      const none = await request(server)[verb](path);
      expectProblem(none, 401, 'UNAUTHENTICATED');
      const unknown = await request(server)
        [verb](path)
        .set('Authorization', 'Bearer emr_not-a-real-token-at-all-000000000000000');
      expectProblem(unknown, 401, 'UNAUTHENTICATED');
      const basic = await request(server)
        [verb](path)
        .set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`);
      expectProblem(basic, 401, 'UNAUTHENTICATED');
    });

    it('#11.17 health, docs and the page stay public', async () => {
      await request(server).get('/health').expect(200);
      await request(server).get('/docs-json').expect(200);
      const docs = await request(server).get('/docs/').expect(200);
      expect(docs.headers['content-type']).toMatch(/^text\/html/);
      const page = await request(server).get('/').expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toMatch(/<!doctype html>/i);
    });
  });
});
