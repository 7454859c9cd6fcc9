import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, TestApp } from '../../support/app';

const MODULE_DIR = join(__dirname, '../../../src/interfaces/web/public/crypto');
const MODULE_FILES = readdirSync(MODULE_DIR).filter((name) => name.endsWith('.js'));

describe('the web crypto module as the service serves it', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp();
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('#13 serves every file of the module at /crypto/*.js, unchanged, as JavaScript, without a token', async () => {
    expect(MODULE_FILES).toEqual(expect.arrayContaining(['index.js', 'hpke.js', 'key-envelope.js', 'ecdsa.js']));
    const server = testApp.app.getHttpServer();
    for (const name of MODULE_FILES) {
      const response = await request(server).get(`/crypto/${name}`).expect(200);
      expect(response.headers['content-type']).toMatch(/^(application|text)\/javascript/);
      expect(response.text).toBe(readFileSync(join(MODULE_DIR, name), 'utf8'));
      // Served as is, so every import must be a sibling the browser can fetch from /crypto/.
      for (const [, specifier] of response.text.matchAll(/from '([^']+)'/g)) {
        expect(MODULE_FILES).toContain(specifier.replace(/^\.\//, ''));
      }
    }
  });

  it('#13 serves the patient client at /patient/patient-client.js; its imports resolve under /crypto/', async () => {
    const server = testApp.app.getHttpServer();
    const source = readFileSync(join(MODULE_DIR, '../patient/patient-client.js'), 'utf8');
    const response = await request(server).get('/patient/patient-client.js').expect(200);
    expect(response.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(response.text).toBe(source);
    const specifiers = [...source.matchAll(/from '([^']+)'/g)].map(([, specifier]) => specifier);
    expect(specifiers).toEqual(['../crypto/index.js']);
  });
});
