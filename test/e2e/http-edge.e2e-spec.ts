import type { Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makePng } from '../support/files';
import { LogCapture } from '../support/log-capture';

const PROBLEM_JSON = /^application\/problem\+json/;
const BREAK_GLASS_PER_HOUR = 2;
const HEADERS_TIMEOUT_MS = 1000;

/** Node hands header values over as latin1: these are the bytes a UTF-8 client puts on the wire. */
const utf8OnTheWire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

/** The HTTP edge: header decoding, the break-glass budget, body depth, slow clients, error wording. */
describe('HTTP edge', () => {
  const logs = new LogCapture();
  let testApp: TestApp;
  let server: App;
  let uploader: Actor;
  let patient: Actor;

  const latest = (patientId: string) => `/api/v1/patients/${patientId}/records/latest?chain=supchain`;

  function expectProblem(response: request.Response, status: number, code: string, field?: string): void {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status, code });
    if (field !== undefined) expect(response.body.field).toBe(field);
  }

  beforeAll(async () => {
    testApp = await createTestApp(
      {
        LOG_LEVEL: 'log',
        BREAK_GLASS_PER_HOUR: String(BREAK_GLASS_PER_HOUR),
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: '5000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      },
      logs,
    );
    server = testApp.app.getHttpServer();
    uploader = await createProvider(server, testApp.adminToken, 'edge-uploader');
    patient = await enrollPatient(server, uploader, 'P-EDGE-1');
    await request(server)
      .post('/api/v1/patients/P-EDGE-1/records')
      .set(uploader.auth)
      .field('chain', 'supchain')
      .attach('file', makePng(8, 8, 3), 'scan.png')
      .expect(201);
  });

  afterAll(async () => {
    await testApp.close();
  });

  describe('#11.3 break-glass reasons', () => {
    it('#11.3 stores a UTF-8 reason as the patient wrote it, C1 controls stripped', async () => {
      const reader = await createProvider(server, testApp.adminToken, 'edge-er-utf8');
      await request(server)
        .get(latest('P-EDGE-1'))
        .set(reader.auth)
        .set('X-Break-Glass-Reason', utf8OnTheWire('Patient bewusstlos\u0085 — Ü, Notaufnahme'))
        .expect(200);
      const log = await request(server).get('/api/v1/patients/P-EDGE-1/access-log').set(patient.auth).expect(200);
      const mine = log.body.filter((entry: { accessorId: string }) => entry.accessorId === 'edge-er-utf8');
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ kind: 'emergency', reason: 'Patient bewusstlos — Ü, Notaufnahme' });
    });

    it.each([
      ['one character', 'x', 'edge-er-short'],
      [
        'four characters of text among tabs, spaces and C1 controls',
        utf8OnTheWire('\t coma\u0085\u0085\u0085\u0085\u0085\u0085\u0085\t '),
        'edge-er-controls',
      ],
      ['latin1 bytes that are not UTF-8', 'Patient bewusstlos \u00dc', 'edge-er-latin1'],
    ])('#11.3 refuses a reason that is %s with 400 naming the header', async (_what, reason, providerId) => {
      const reader = await createProvider(server, testApp.adminToken, providerId);
      const response = await request(server)
        .get(latest('P-EDGE-1'))
        .set(reader.auth)
        .set('X-Break-Glass-Reason', reason);
      expectProblem(response, 400, 'VALIDATION_FAILED', 'X-Break-Glass-Reason');
      expect(response.body.detail).toMatch(/at least 10 characters|UTF-8/);
    });

    it('#11.3 gives each provider its own emergency budget, separate from ordinary requests', async () => {
      const reader = await createProvider(server, testApp.adminToken, 'edge-er-budget');
      const reason = 'Unconscious in ED, anticoagulants unknown';
      const statuses: number[] = [];
      for (let i = 0; i <= BREAK_GLASS_PER_HOUR; i++) {
        statuses.push(
          (await request(server).get(latest('P-EDGE-1')).set(reader.auth).set('X-Break-Glass-Reason', reason)).status,
        );
      }
      expect(statuses).toEqual([...Array<number>(BREAK_GLASS_PER_HOUR).fill(200), 429]);

      const limited = await request(server)
        .get(latest('P-EDGE-1'))
        .set(reader.auth)
        .set('X-Break-Glass-Reason', reason);
      expectProblem(limited, 429, 'BREAK_GLASS_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3500);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(3600);
      // Ordinary requests of the same provider, and another provider's emergencies, go on.
      await request(server).get('/api/v1/me').set(reader.auth).expect(200);
      const other = await createProvider(server, testApp.adminToken, 'edge-er-other');
      await request(server).get(latest('P-EDGE-1')).set(other.auth).set('X-Break-Glass-Reason', reason).expect(200);
    });
  });

  it('#11.5 refuses JSON nested deeper than 32 levels with 400 before validation, and logs no error', async () => {
    const nested = (depth: number) => `{"providerId":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)},"name":"x"}`;
    const errorsBefore = logs.lines().filter((line) => line.startsWith('error')).length;
    const deep = await request(server)
      .post('/api/v1/providers')
      .set('Authorization', `Bearer ${testApp.adminToken}`)
      .set('Content-Type', 'application/json')
      .send(nested(5000));
    expectProblem(deep, 400, 'VALIDATION_FAILED');
    expect(deep.body.detail).toMatch(/nested deeper than 32/);
    expect(logs.lines().filter((line) => line.startsWith('error')).length).toBe(errorsBefore);

    const tooDeep = await request(server)
      .post('/api/v1/providers')
      .set('Authorization', `Bearer ${testApp.adminToken}`)
      .set('Content-Type', 'application/json')
      .send(nested(33));
    expect(tooDeep.body.detail).toMatch(/nested deeper than 32/);
    // At the bound the body is parsed and reaches validation, which names the field.
    const atBound = await request(server)
      .post('/api/v1/providers')
      .set('Authorization', `Bearer ${testApp.adminToken}`)
      .set('Content-Type', 'application/json')
      .send(nested(32));
    expectProblem(atBound, 400, 'VALIDATION_FAILED', 'providerId');
  });

  describe('#11.6 slow clients', () => {
    it('#11.6 the HTTP server carries the configured timeouts', () => {
      const http = testApp.app.getHttpServer() as Server;
      expect(http.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
      expect(http.requestTimeout).toBe(5000);
      expect(http.keepAliveTimeout).toBe(1000);
    });

    it('#11.6 cuts off a client that sends half its headers and stalls', async () => {
      const http = testApp.app.getHttpServer() as Server;
      if (!http.listening) await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const { port } = http.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const started = Date.now();
      socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nX-Half: ');
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const giveUp = setTimeout(() => reject(new Error('the stalled connection was never closed')), 10_000);
        socket.on('close', () => {
          clearTimeout(giveUp);
          resolve(Date.now() - started);
        });
      });
      expect(closedAfter).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(closedAfter).toBeLessThan(HEADERS_TIMEOUT_MS + 2000);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    });
  });

  describe('#11.20 errors say what to do instead', () => {
    it('#11.20 a JSON body sent without Content-Type: application/json gets 415 naming the header', async () => {
      const body = JSON.stringify({ providerId: 'edge-form', name: 'Form' });
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
        const response = await request(server)
          .post('/api/v1/providers')
          .set('Authorization', `Bearer ${testApp.adminToken}`)
          .set('Content-Type', type)
          .send(body);
        expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type');
        expect(response.body.detail).toContain('Content-Type: application/json');
        expect(response.body.detail).not.toContain('edge-form');
      }
    });

    it('#11.20 a file sent under another multipart name gets 400 naming the field "file"', async () => {
      const response = await request(server)
        .post('/api/v1/patients/P-EDGE-1/records')
        .set(uploader.auth)
        .field('chain', 'supchain')
        .attach('upload', makePng(4, 4, 1), 'scan.png');
      expectProblem(response, 400, 'VALIDATION_FAILED', 'file');
      expect(response.body.detail).toContain('"file"');
    });

    it.each([
      ['missing', undefined, /^Bearer realm="patient-centric-emr"$/],
      ['not Bearer', 'Basic dXNlcjpwYXNz', /^Bearer realm="patient-centric-emr", error="invalid_request"/],
      ['an unknown token', 'Bearer emr_not-a-real-token', /^Bearer realm="patient-centric-emr", error="invalid_token"/],
    ])(
      '#11.20 an Authorization header that is %s gets 401 with WWW-Authenticate and the expected form',
      async (_what, header, challenge) => {
        const call = request(server).get('/api/v1/me');
        if (header) call.set('Authorization', header);
        const response = await call;
        expectProblem(response, 401, 'UNAUTHENTICATED');
        expect(response.headers['www-authenticate']).toMatch(challenge);
        expect(response.body.detail).toContain('Authorization: Bearer <token>');
      },
    );
  });
});
