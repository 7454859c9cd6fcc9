import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createProvider } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';

describe('Hardening', () => {
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    testApp = await createTestApp({ RATE_LIMIT_PER_MINUTE: '5' });
    server = testApp.app.getHttpServer();
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('limits requests per token with 429 RATE_LIMITED, and other tokens are unaffected', async () => {
    const provider = await createProvider(server, testApp.adminToken, 'busy-clinic');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(server).get('/api/v1/me').set(provider.auth)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await request(server).get('/api/v1/me').set(provider.auth);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();

    const admin = await request(server).get('/api/v1/me').set('Authorization', `Bearer ${testApp.adminToken}`);
    expect(admin.status).not.toBe(429);
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

  // Last: it spends this client address's allowance.
  it('counts tokens that do not authenticate against the client address, so guessing is limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6 && !statuses.includes(429); i++) {
      const guess = `emr_${randomBytes(32).toString('base64url')}`;
      statuses.push((await request(server).get('/api/v1/me').set('Authorization', `Bearer ${guess}`)).status);
    }
    // At most RATE_LIMIT_PER_MINUTE (5) answers for the address, then 429; every one before it a 401.
    expect(statuses[statuses.length - 1]).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
  });
});
