import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createProvider } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';

const RATE_LIMIT = 5;

describe('Hardening', () => {
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    testApp = await createTestApp({ RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
    server = testApp.app.getHttpServer();
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('#11.15 allows exactly RATE_LIMIT_PER_MINUTE requests per token, and the next one meets 429 RATE_LIMITED', async () => {
    const provider = await createProvider(server, testApp.adminToken, 'busy-clinic');
    const responses: request.Response[] = [];
    for (let i = 0; i <= RATE_LIMIT; i++) responses.push(await request(server).get('/api/v1/me').set(provider.auth));
    expect(responses.map((response) => response.status)).toEqual([...Array<number>(RATE_LIMIT).fill(200), 429]);
    const limited = responses[RATE_LIMIT];
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    const admin = await request(server).get('/api/v1/me').set('Authorization', `Bearer ${testApp.adminToken}`);
    expect(admin.status).toBe(200);
  });

  it('#11.4 gives a caller one allowance across all routes, not one per route', async () => {
    const provider = await createProvider(server, testApp.adminToken, 'roaming-clinic');
    const routes = ['/api/v1/me', '/api/v1/patients/P-ROAM/consents', '/api/v1/patients/P-ROAM/records?chain=supchain'];
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_LIMIT; i++) {
      statuses.push(
        (
          await request(server)
            .get(routes[i % routes.length])
            .set(provider.auth)
        ).status,
      );
    }
    expect(statuses.map((status) => status === 429)).toEqual([...Array<boolean>(RATE_LIMIT).fill(false), true]);
  });

  it('refuses JSON bodies over the limit with 413', async () => {
    const response = await request(server)
      .post('/api/v1/providers')
      .set('Authorization', `Bearer ${testApp.adminToken}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ providerId: 'x', name: 'y'.repeat(100 * 1024) }));
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('keeps CORS off unless configured', async () => {
    const response = await request(server)
      .options('/api/v1/me')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('reports itself healthy when every ledger is up and clean', async () => {
    const response = await request(server).get('/health').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.chains.supchain).toMatchObject({
      status: 'up',
      pendingReplicas: 0,
      integrity: { failures: 0 },
    });
  });

  it('sends security headers', async () => {
    const response = await request(server).get('/health');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    const docs = await request(server).get('/docs');
    expect(docs.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
  });

  it('#11.15 counts tokens that do not authenticate against the client address: exactly the limit, then 429', async () => {
    // A fresh app: this address's allowance is spent by nothing else (/health counts against it too).
    const fresh = await createTestApp({ RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
    try {
      const routes = ['/api/v1/me', '/api/v1/patients/P-GUESS/consents'];
      const statuses: number[] = [];
      for (let i = 0; i <= RATE_LIMIT; i++) {
        const guess = `emr_${randomBytes(32).toString('base64url')}`;
        const call = request(fresh.app.getHttpServer()).get(routes[i % routes.length]);
        statuses.push((await call.set('Authorization', `Bearer ${guess}`)).status);
      }
      expect(statuses).toEqual([...Array<number>(RATE_LIMIT).fill(401), 429]);
    } finally {
      await fresh.close();
    }
  });
});
