import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { FakeClock } from '../fakes/fake-clock';
import { findsPhi } from '../fakes/find-phi';
import { createTestApp, TestApp } from '../support/app';

const HOUR_MS = 60 * 60 * 1000;
const CLAIM_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/;
const TOKEN = /^emr_[A-Za-z0-9_-]{43}$/;

/**
 * Issue 13, claim codes instead of handed-over tokens: enrolment answers a one-time code, the
 * claimant alone gets a token for it, and tokens can be rotated or all revoked.
 */
describe('#13 claim codes', () => {
  const clock = new FakeClock(new Date('2026-12-03T10:00:00.000Z'));
  let testApp: TestApp;
  let server: App;
  let admin: Record<string, string>;
  /** Every code the service handed out in this file, claimed or not: none may be on disk. */
  const issuedCodes: string[] = [];
  const issuedTokens: string[] = [];

  beforeAll(async () => {
    testApp = await createTestApp({}, undefined, { clock });
    server = testApp.app.getHttpServer();
    admin = { Authorization: `Bearer ${testApp.adminToken}` };
  });

  afterAll(async () => {
    await testApp.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  function expectProblem(response: request.Response, status: number, code: string, field?: string): void {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect({ status: response.status, code: response.body.code, field: response.body.field }).toEqual({
      status,
      code,
      field,
    });
  }

  async function newProvider(providerId: string): Promise<request.Response> {
    const response = await request(server).post('/api/v1/providers').set(admin).send({ providerId, name: providerId });
    expect(response.status).toBe(201);
    issuedCodes.push(response.body.claimCode);
    return response;
  }

  async function enrol(providerToken: string, patientId: string): Promise<request.Response> {
    const response = await request(server).post('/api/v1/patients').set(bearer(providerToken)).send({ patientId });
    expect(response.status).toBe(201);
    issuedCodes.push(response.body.claimCode);
    return response;
  }

  function claim(claimCode: unknown): request.Test {
    return request(server).post('/api/v1/claims').send({ claimCode });
  }

  async function claimed(claimCode: string): Promise<string> {
    const response = await claim(claimCode);
    expect(response.status).toBe(201);
    issuedTokens.push(response.body.token);
    return response.body.token as string;
  }

  async function reissuePatientCode(providerToken: string, patientId: string): Promise<string> {
    const response = await request(server).post(`/api/v1/patients/${patientId}/claim-code`).set(bearer(providerToken));
    expect(response.status).toBe(201);
    issuedCodes.push(response.body.claimCode);
    return response.body.claimCode as string;
  }

  let clinicToken: string;

  it('#13 enrolment answers carry a claim code, its expiry and who enrolled, and no token at all', async () => {
    const created = await newProvider('claims-clinic');
    expect(Object.keys(created.body).sort()).toEqual([
      'claimCode',
      'claimExpiresAt',
      'createdBy',
      'providerId',
      'publicKey',
    ]);
    expect(created.body).toMatchObject({ providerId: 'claims-clinic', createdBy: 'admin' });
    expect(created.body.claimCode).toMatch(CLAIM_CODE);
    expect(created.body.claimExpiresAt).toBe(new Date(clock.now().getTime() + 168 * HOUR_MS).toISOString());
    expect(created.text).not.toMatch(/emr_|token/i);

    clinicToken = await claimed(created.body.claimCode);
    expect(clinicToken).toMatch(TOKEN);
    const enrolled = await enrol(clinicToken, 'P-CLAIM-1');
    expect(Object.keys(enrolled.body).sort()).toEqual(['claimCode', 'claimExpiresAt', 'enrolledBy', 'patientId']);
    expect(enrolled.body).toMatchObject({ patientId: 'P-CLAIM-1', enrolledBy: 'claims-clinic' });
    expect(enrolled.body.claimCode).toMatch(CLAIM_CODE);
    expect(enrolled.text).not.toMatch(/emr_|token/i);
    expect(enrolled.body.claimCode).not.toBe(created.body.claimCode);
  });

  it('#13 a claim code gives its holder a token once; used again it is 404 CLAIM_CODE_INVALID', async () => {
    const enrolled = await enrol(clinicToken, 'P-CLAIM-2');
    const first = await claim(enrolled.body.claimCode);
    expect(first.status).toBe(201);
    expect(Object.keys(first.body).sort()).toEqual(['id', 'role', 'token']);
    expect(first.body).toMatchObject({ id: 'P-CLAIM-2', role: 'patient' });
    expect(first.body.token).toMatch(TOKEN);
    issuedTokens.push(first.body.token);
    const me = await request(server).get('/api/v1/me').set(bearer(first.body.token)).expect(200);
    expect(me.body.id).toBe('P-CLAIM-2');

    const again = await claim(enrolled.body.claimCode);
    expectProblem(again, 404, 'CLAIM_CODE_INVALID');
    expect(again.body.detail).toMatch(/not valid: mistyped, already used or expired/);
    expect(again.text).not.toContain(enrolled.body.claimCode);
    // The failed claim took nothing from the holder.
    await request(server).get('/api/v1/me').set(bearer(first.body.token)).expect(200);
  });

  it('#13 a wrong code is 404 like a used one; a malformed body is 400 naming claimCode', async () => {
    expectProblem(await claim('ABCD-EFGH-JKMN-PQRS-TVWX'), 404, 'CLAIM_CODE_INVALID');
    expectProblem(await claim('not a code'), 404, 'CLAIM_CODE_INVALID');
    expectProblem(await claim(12345), 400, 'VALIDATION_FAILED', 'claimCode');
    expectProblem(await claim('A'.repeat(65)), 400, 'VALIDATION_FAILED', 'claimCode');
    expectProblem(await request(server).post('/api/v1/claims').send({}), 400, 'VALIDATION_FAILED', 'claimCode');
  });

  it('#13 a code is accepted in any case, without dashes, with spaces, and with O for 0 and I/L for 1', async () => {
    const typings = [
      (code: string) => code.toLowerCase().replace(/-/g, ''),
      (code: string) => ` ${code.replace(/-/g, ' ')} `,
      (code: string) => code.replace(/0/g, 'O').replace(/1/g, 'l'),
      (code: string) => code.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'i'),
    ];
    for (const [index, typed] of typings.entries()) {
      const enrolled = await enrol(clinicToken, `P-CLAIM-TYPED-${index}`);
      const response = await claim(typed(enrolled.body.claimCode as string));
      expect({ index, status: response.status }).toEqual({ index, status: 201 });
      issuedTokens.push(response.body.token);
    }
    // Crockford's confusables, whatever the random code held.
    const enrolled = await enrol(clinicToken, 'P-CLAIM-TYPED-X');
    const code = enrolled.body.claimCode as string;
    const confused = code.replace(/-/g, '').replace(/0/g, 'o').replace(/1/g, 'L');
    expect(await claim(`${confused.slice(0, 10)}-${confused.slice(10)}`).then((r) => r.status)).toBe(201);
  });

  it('#13 a code expires after CLAIM_CODE_TTL_HOURS (168 by default)', async () => {
    const justInTime = await enrol(clinicToken, 'P-CLAIM-TTL-1');
    const late = await enrol(clinicToken, 'P-CLAIM-TTL-2');
    clock.advance(168 * HOUR_MS - 1000);
    expect((await claim(justInTime.body.claimCode)).status).toBe(201);
    clock.advance(1000);
    expectProblem(await claim(late.body.claimCode), 404, 'CLAIM_CODE_INVALID');
    // A new code brings the patient back.
    expect((await claim(await reissuePatientCode(clinicToken, 'P-CLAIM-TTL-2'))).status).toBe(201);
  });

  it('#13 rotating a token kills the old one at once', async () => {
    const enrolled = await enrol(clinicToken, 'P-CLAIM-ROT');
    const old = await claimed(enrolled.body.claimCode);
    const rotated = await request(server).post('/api/v1/me/token').set(bearer(old));
    expect(rotated.status).toBe(201);
    expect(Object.keys(rotated.body)).toEqual(['token']);
    expect(rotated.body.token).toMatch(TOKEN);
    issuedTokens.push(rotated.body.token);
    expectProblem(await request(server).get('/api/v1/me').set(bearer(old)), 401, 'UNAUTHENTICATED');
    await request(server).get('/api/v1/me').set(bearer(rotated.body.token)).expect(200);
    // The operator's token is configuration, not rotated here.
    expectProblem(await request(server).post('/api/v1/me/token').set(admin), 403, 'FORBIDDEN');
    expectProblem(await request(server).delete('/api/v1/me/tokens').set(admin), 403, 'FORBIDDEN');
  });

  it('#13 signing out everywhere leaves no token working; a new claim code brings the principal back', async () => {
    const enrolled = await enrol(clinicToken, 'P-CLAIM-OUT');
    const first = await claimed(enrolled.body.claimCode);
    const second = (await request(server).post('/api/v1/me/token').set(bearer(first)).expect(201)).body.token;
    await request(server).delete('/api/v1/me/tokens').set(bearer(second)).expect(204);
    for (const token of [first, second]) {
      expectProblem(await request(server).get('/api/v1/me').set(bearer(token)), 401, 'UNAUTHENTICATED');
    }
    const back = await claimed(await reissuePatientCode(clinicToken, 'P-CLAIM-OUT'));
    await request(server).get('/api/v1/me').set(bearer(back)).expect(200);
  });

  it('#13 a re-issued code voids the older unused one, and the claim kills the token before it', async () => {
    const enrolled = await enrol(clinicToken, 'P-CLAIM-RE');
    const before = await claimed(enrolled.body.claimCode);
    const older = await reissuePatientCode(clinicToken, 'P-CLAIM-RE');
    // Until the new code is claimed, the current token keeps working.
    await request(server).get('/api/v1/me').set(bearer(before)).expect(200);
    const newer = await reissuePatientCode(clinicToken, 'P-CLAIM-RE');
    expectProblem(await claim(older), 404, 'CLAIM_CODE_INVALID');
    const after = await claimed(newer);
    expectProblem(await request(server).get('/api/v1/me').set(bearer(before)), 401, 'UNAUTHENTICATED');
    await request(server).get('/api/v1/me').set(bearer(after)).expect(200);

    // The operator re-issues providers' codes; nobody else does, and unknown principals are 404.
    const provider = await newProvider('claims-other');
    const providerCode = await request(server).post('/api/v1/providers/claims-other/claim-code').set(admin);
    expect(providerCode.status).toBe(201);
    expect(Object.keys(providerCode.body).sort()).toEqual(['claimCode', 'claimExpiresAt']);
    issuedCodes.push(providerCode.body.claimCode);
    expectProblem(await claim(provider.body.claimCode), 404, 'CLAIM_CODE_INVALID');
    expect((await claimed(providerCode.body.claimCode)).length).toBeGreaterThan(0);
    const by = (token: string) => bearer(token);
    expectProblem(
      await request(server).post('/api/v1/providers/claims-other/claim-code').set(by(clinicToken)),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await request(server).post('/api/v1/providers/nobody/claim-code').set(admin),
      404,
      'PROVIDER_NOT_FOUND',
    );
    expectProblem(await request(server).post('/api/v1/patients/P-CLAIM-RE/claim-code').set(admin), 403, 'FORBIDDEN');
    expectProblem(
      await request(server).post('/api/v1/patients/P-CLAIM-RE/claim-code').set(by(after)),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await request(server).post('/api/v1/patients/P-NOBODY/claim-code').set(by(clinicToken)),
      404,
      'PATIENT_NOT_FOUND',
    );
    expectProblem(
      await request(server).post('/api/v1/patients/bad%20id/claim-code').set(by(clinicToken)),
      400,
      'VALIDATION_FAILED',
      'patientId',
    );
  });

  it('#13 /me says who enrolled the principal, when, and when it claimed', async () => {
    const enrolledAt = clock.now();
    const enrolled = await enrol(clinicToken, 'P-CLAIM-ME');
    clock.advance(90_000);
    const claimedAt = clock.now();
    const token = await claimed(enrolled.body.claimCode);
    const me = await request(server).get('/api/v1/me').set(bearer(token)).expect(200);
    expect(me.body).toEqual({
      id: 'P-CLAIM-ME',
      role: 'patient',
      createdBy: 'claims-clinic',
      createdAt: enrolledAt.toISOString(),
      claimedAt: claimedAt.toISOString(),
      // Issue 13: the patient's pseudonymous ledger key, and no keys until the browser registers them.
      patientKey: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      keys: null,
    });
    const clinic = await request(server).get('/api/v1/me').set(bearer(clinicToken)).expect(200);
    expect(clinic.body).toMatchObject({ id: 'claims-clinic', role: 'provider', createdBy: 'admin' });
    expect(clinic.body.claimedAt).not.toBeNull();
  });

  it('#13 after CLAIM_ATTEMPTS_PER_HOUR (10) failed claims an address gets 429 CLAIM_LIMITED, even for a right code', async () => {
    clock.advance(HOUR_MS); // earlier tests' failures leave the window
    const enrolled = await enrol(clinicToken, 'P-CLAIM-BRUTE');
    for (let i = 0; i < 10; i++) {
      const guess = `ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZ${String(i).padStart(2, '0')}`;
      expectProblem(await claim(guess), 404, 'CLAIM_CODE_INVALID');
    }
    const limited = await claim(enrolled.body.claimCode);
    expectProblem(limited, 429, 'CLAIM_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBe(3600);
    expect(limited.text).not.toContain(enrolled.body.claimCode);
    clock.advance(HOUR_MS - 1000);
    const stillLimited = await claim(enrolled.body.claimCode);
    expectProblem(stillLimited, 429, 'CLAIM_LIMITED');
    expect(Number(stillLimited.headers['retry-after'])).toBe(1);
    clock.advance(1000);
    expect((await claim(enrolled.body.claimCode)).status).toBe(201);
  });

  it('#13 codes and tokens are on disk only as hashes: none appears in the data directory in any encoding', () => {
    expect(issuedCodes.length).toBeGreaterThan(15);
    const files = readdirSync(testApp.dataDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => ({
        path: join(entry.parentPath, entry.name),
        bytes: readFileSync(join(entry.parentPath, entry.name)),
      }));
    expect(files.map((file) => file.path).some((path) => path.endsWith('principals.json'))).toBe(true);
    const found: string[] = [];
    for (const code of issuedCodes) {
      for (const form of [code, code.replace(/-/g, '')]) {
        for (const file of files) if (findsPhi(file.bytes, form)) found.push(`${form} in ${file.path}`);
      }
    }
    for (const token of issuedTokens) {
      for (const file of files) if (findsPhi(file.bytes, token)) found.push(`a token in ${file.path}`);
    }
    expect(found).toEqual([]);
  });
});
