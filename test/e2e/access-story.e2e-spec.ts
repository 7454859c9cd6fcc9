import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { FakeClock } from '../fakes/fake-clock';
import { makePng } from '../support/files';
import { TestPatient } from '../support/patient-keys';
import { dumpMemoryLedgers } from '../support/ledger-dump';
import { LogCapture } from '../support/log-capture';
import { hexToBytes } from '../../src/domain/bytes';
import { AccessLogWriter } from '../../src/application/access/access-log-writer';
import { Ledgers } from '../../src/domain/ledgers';
import { PatientId } from '../../src/domain/patient-id';
import { AccessLogJournal } from '../../src/domain/ports/access-log-journal.port';
import { Pseudonymizer } from '../../src/domain/ports/pseudonymizer.port';

const PROBLEM_JSON = /^application\/problem\+json/;
const SECOND_MS = 1000;

/**
 * The access story, step by step (each test builds on the one before), then what the ledgers and
 * the logs hold after it. Refusals that need no story are in access-refusals.e2e-spec.ts.
 */
describe('Patient-centric access (in-memory ledgers)', () => {
  const logs = new LogCapture();
  const clock = new FakeClock();
  let testApp: TestApp;
  let server: App;
  let admin: Record<string, string>;
  let alpha: Actor;
  let beta: Actor;
  let patient: Actor;
  let otherPatient: Actor;
  let recordId: string;
  let patientKeys: TestPatient;
  const png = makePng(24, 24, 42);
  const fileName = 'chest-xray-P-4711.png';

  const records = (patientId: string) => `/api/v1/patients/${patientId}/records`;
  const sealedRecords = (patientId: string) => `/api/v1/patients/${patientId}/sealed-records`;

  function expectProblem(response: request.Response, status: number, code: string): void {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status, code });
  }

  beforeAll(async () => {
    logs.start();
    testApp = await createTestApp({ LOG_LEVEL: 'verbose' }, logs, { clock });
    server = testApp.app.getHttpServer();
    admin = { Authorization: `Bearer ${testApp.adminToken}` };
  });

  afterAll(async () => {
    await testApp.close();
    logs.stop();
  });

  describe('the story', () => {
    it('admin creates providers; only admin may, and only once', async () => {
      alpha = await createProvider(server, testApp.adminToken, 'alpha-clinic');
      beta = await createProvider(server, testApp.adminToken, 'beta-hospital');
      expect(alpha.token).toMatch(/^emr_[A-Za-z0-9_-]{43}$/);
      expect(alpha.token).not.toBe(beta.token);

      const again = await request(server)
        .post('/api/v1/providers')
        .set(admin)
        .send({ providerId: 'alpha-clinic', name: 'x' });
      expectProblem(again, 409, 'ALREADY_EXISTS');
      const byProvider = await request(server)
        .post('/api/v1/providers')
        .set(alpha.auth)
        .send({ providerId: 'x', name: 'x' });
      expectProblem(byProvider, 403, 'FORBIDDEN');
      const bad = await request(server)
        .post('/api/v1/providers')
        .set(admin)
        .send({ providerId: 'no spaces', name: 'x' });
      expectProblem(bad, 400, 'VALIDATION_FAILED');

      const me = await request(server).get('/api/v1/me').set(alpha.auth).expect(200);
      expect(me.body).toMatchObject({ id: 'alpha-clinic', role: 'provider', createdBy: 'admin' });
      expect((await request(server).get('/api/v1/me').set(admin).expect(200)).body).toMatchObject({
        id: 'admin',
        role: 'admin',
        createdBy: null,
        claimedAt: null,
      });
    });

    it('a provider enrols patients; the admin cannot', async () => {
      patient = await enrollPatient(server, alpha, 'P-4711');
      otherPatient = await enrollPatient(server, beta, 'P-0815');
      const again = await request(server).post('/api/v1/patients').set(beta.auth).send({ patientId: 'P-4711' });
      expectProblem(again, 409, 'ALREADY_EXISTS');
      expectProblem(
        await request(server).post('/api/v1/patients').set(admin).send({ patientId: 'P-1' }),
        403,
        'FORBIDDEN',
      );
      expectProblem(
        await request(server).post('/api/v1/patients').set(patient.auth).send({ patientId: 'P-2' }),
        403,
        'FORBIDDEN',
      );
      expectProblem(
        await request(server).post('/api/v1/patients').set(alpha.auth).send({ patientId: 'bad id' }),
        400,
        'VALIDATION_FAILED',
      );
      const me = await request(server).get('/api/v1/me').set(patient.auth).expect(200);
      expect(me.body).toMatchObject({ id: 'P-4711', role: 'patient', createdBy: 'alpha-clinic' });
    });

    it('the first provider uploads for the patient', async () => {
      const created = await request(server)
        .post(records('P-4711'))
        .set(alpha.auth)
        .field('chain', 'supchain')
        .attach('file', png, fileName)
        .expect(201);
      recordId = created.body.recordId;
      expect(created.body.uploader).toBe('alpha-clinic');

      const own = await request(server)
        .get(`${records('P-4711')}/latest?chain=supchain`)
        .set(alpha.auth)
        .expect(200);
      expect(Buffer.compare(own.body as Buffer, png)).toBe(0);
    });

    it('another provider is refused without consent', async () => {
      for (const path of [
        `${records('P-4711')}/latest`,
        `${records('P-4711')}/${recordId}`,
        `${records('P-4711')}/${recordId}/metadata`,
      ]) {
        const response = await request(server).get(path).query({ chain: 'supchain' }).set(beta.auth);
        expectProblem(response, 403, 'CONSENT_REQUIRED');
      }
      const list = await request(server).get(records('P-4711')).query({ chain: 'supchain' }).set(beta.auth).expect(200);
      expect(list.body.items).toEqual([]);
    });

    it('#14 the patient registers keys and grants consent, signed; the second provider reads', async () => {
      // Issue 14: a consent is the patient's signature, made with keys registered from "the browser".
      patientKeys = await TestPatient.register(server, patient);
      const unsigned = await request(server)
        .post('/api/v1/patients/P-4711/consents')
        .set(patient.auth)
        .send({ providerId: 'beta-hospital' });
      expectProblem(unsigned, 400, 'VALIDATION_FAILED');
      const granted = await patientKeys.grant(server, 'beta-hospital');
      expect(granted.status).toBe(201);
      expect(granted.body).toMatchObject({ providerId: 'beta-hospital', expiresAt: null, active: true });
      expect(granted.body.chains.sort()).toEqual(['medchain', 'supchain']);

      const read = await request(server)
        .get(`${records('P-4711')}/latest?chain=supchain`)
        .set(beta.auth)
        .expect(200);
      expect(Buffer.compare(read.body as Buffer, png)).toBe(0);
      const list = await request(server).get(records('P-4711')).query({ chain: 'supchain' }).set(beta.auth).expect(200);
      expect(list.body.items.map((item: { recordId: string }) => item.recordId)).toEqual([recordId]);

      const consents = await request(server).get('/api/v1/patients/P-4711/consents').set(patient.auth).expect(200);
      expect(consents.body.map((c: { providerId: string }) => c.providerId)).toEqual(['beta-hospital']);
    });

    it('#14 the patient revokes, signed, and the next read is refused', async () => {
      expectProblem(
        await request(server).delete('/api/v1/patients/P-4711/consents/beta-hospital').set(patient.auth),
        409,
        'SIGNATURE_REQUIRED',
      );
      expect((await patientKeys.revoke(server, 'beta-hospital')).status).toBe(204);
      const response = await request(server)
        .get(`${records('P-4711')}/latest?chain=supchain`)
        .set(beta.auth);
      expectProblem(response, 403, 'CONSENT_REQUIRED');
      const consents = await request(server).get('/api/v1/patients/P-4711/consents').set(patient.auth).expect(200);
      expect(consents.body).toEqual([]);
    });

    it('#11.14 an expiring consent reads until the second before its expiry and is refused from it on', async () => {
      const expiry = new Date(Math.floor(clock.now().getTime() / SECOND_MS) * SECOND_MS + 60 * SECOND_MS);
      const expiresAt = expiry.toISOString();
      expect((await patientKeys.grant(server, 'beta-hospital', expiresAt)).status).toBe(201);
      const latest = () =>
        request(server)
          .get(`${records('P-4711')}/latest?chain=supchain`)
          .set(beta.auth);
      await latest().expect(200);

      clock.set(new Date(expiry.getTime() - SECOND_MS));
      await latest().expect(200);
      clock.set(expiry);
      expectProblem(await latest(), 403, 'CONSENT_REQUIRED');
      const consents = await request(server).get('/api/v1/patients/P-4711/consents').set(patient.auth).expect(200);
      expect(consents.body[0]).toMatchObject({ providerId: 'beta-hospital', active: false, expiresAt });

      const past = await request(server)
        .post('/api/v1/patients/P-4711/consents')
        .set(patient.auth)
        .send({ providerId: 'beta-hospital', expiresAt: '2020-01-01T00:00:00Z' });
      expectProblem(past, 400, 'VALIDATION_FAILED');
    });

    it('an emergency read succeeds and is flagged in the access log', async () => {
      const reason = 'Unconscious in ED, suspected pneumothorax';
      const read = await request(server)
        .get(`${records('P-4711')}/${recordId}?chain=supchain`)
        .set(beta.auth)
        .set('X-Break-Glass-Reason', reason)
        .expect(200);
      expect(Buffer.compare(read.body as Buffer, png)).toBe(0);

      const empty = await request(server)
        .get(`${records('P-4711')}/latest?chain=supchain`)
        .set(beta.auth)
        .set('X-Break-Glass-Reason', '  ');
      expectProblem(empty, 400, 'VALIDATION_FAILED');
      const long = await request(server)
        .get(`${records('P-4711')}/latest?chain=supchain`)
        .set(beta.auth)
        .set('X-Break-Glass-Reason', 'x'.repeat(501));
      expectProblem(long, 400, 'VALIDATION_FAILED');

      const log = await request(server).get('/api/v1/patients/P-4711/access-log').set(patient.auth).expect(200);
      const emergencies = log.body.filter((entry: { emergency: boolean }) => entry.emergency);
      expect(emergencies).toHaveLength(1);
      expect(emergencies[0]).toMatchObject({
        accessorId: 'beta-hospital',
        accessorRole: 'provider',
        chain: 'supchain',
        recordId,
        kind: 'emergency',
        reason,
      });
      const kinds = new Set(log.body.map((entry: { kind: string }) => entry.kind));
      expect(kinds).toEqual(new Set(['own-upload', 'consent', 'emergency']));
      const times = log.body.map((entry: { at: string }) => entry.at);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it("#11.17 the patient's own reads are not logged, and the log reaches the ledger", async () => {
      // Issue 13: the patient reads through the sealed endpoints, with the keys registered above.
      const before = (await request(server).get('/api/v1/patients/P-4711/access-log').set(patient.auth)).body.length;
      expectProblem(
        await request(server)
          .get(`${records('P-4711')}/latest?chain=supchain`)
          .set(patient.auth),
        409,
        'SEALED_READ_REQUIRED',
      );
      const list = await request(server)
        .get(sealedRecords('P-4711'))
        .query({ chain: 'supchain' })
        .set(patient.auth)
        .expect(200);
      expect(list.body.items.map((item: { recordId: string }) => item.recordId)).toEqual([recordId]);
      const latest = await patientKeys.fetchSealed(server, 'latest', 'supchain');
      expect(latest.recordId).toBe(recordId);
      const serviceKey = hexToBytes((latest.signer.publicKey as string).slice(2));
      expect(Buffer.compare((await patientKeys.open(latest, serviceKey)).bytes, png)).toBe(0);
      const writer = testApp.app.get(AccessLogWriter);
      await writer.flush();
      const after = await request(server).get('/api/v1/patients/P-4711/access-log').set(patient.auth).expect(200);
      expect(after.body.length).toBe(before);

      // Every listed entry is on the ledger itself, and nothing waits in the queue or the journal.
      const patientKey = testApp.app.get(Pseudonymizer).patientKey(PatientId.parse('P-4711'));
      expect(writer.pendingFor('supchain', patientKey)).toEqual([]);
      expect(await testApp.app.get(AccessLogJournal).pending()).toEqual([]);
      const onLedger = await testApp.app.get(Ledgers).access('supchain').accessLog(patientKey, { limit: 100 });
      const summary = (entries: { kind: string; recordId: string | null }[]) =>
        entries.map((entry) => `${entry.kind}:${entry.recordId}`).sort();
      expect(onLedger.length).toBeGreaterThanOrEqual(3);
      expect(summary(onLedger.map((entry) => ({ kind: entry.kind, recordId: entry.recordId?.hex ?? null })))).toEqual(
        summary(after.body),
      );
    });

    it('the patient uploads to their own record', async () => {
      const selfie = makePng(4, 4);
      expectProblem(
        await request(server)
          .post(records('P-4711'))
          .set(patient.auth)
          .field('chain', 'medchain')
          .attach('file', selfie, 'selfie.png'),
        409,
        'SEALED_UPLOAD_REQUIRED',
      );
      const created = await patientKeys.upload(server, selfie, 'selfie.png', 'image/png', 'medchain');
      expect(created.status).toBe(201);
      const sealed = await patientKeys.fetchSealed(server, created.body.recordId, 'medchain');
      expect(sealed.signer.kind).toBe('patient');
      const opened = await patientKeys.open(sealed);
      expect(opened.header.uploader).toBe('P-4711');
      expect(Buffer.compare(opened.bytes, selfie)).toBe(0);
      // Sealed to the patient only: the enrolling provider has no key slot and no consent.
      const response = await request(server)
        .get(`${records('P-4711')}/latest?chain=medchain`)
        .set(alpha.auth);
      expectProblem(response, 403, 'CONSENT_REQUIRED');
    });

    it('uploads for a patient who is not enrolled are refused', async () => {
      const response = await request(server)
        .post(records('P-9999'))
        .set(alpha.auth)
        .field('chain', 'supchain')
        .attach('file', png, 'a.png');
      expectProblem(response, 404, 'PATIENT_NOT_FOUND');
    });
  });

  describe('what the ledgers hold', () => {
    it('no raw patient id, provider id, file name, token or emergency reason', () => {
      const dump = dumpMemoryLedgers(testApp.app.get(Ledgers));
      expect(dump.length).toBeGreaterThan(10_000);
      // The dump is real: the pseudonymous content is there.
      expect(dump).toContain(recordId.slice(2));
      for (const secret of [
        'P-4711',
        'P-0815',
        fileName,
        'chest-xray',
        'alpha-clinic',
        'beta-hospital',
        'pneumothorax',
        testApp.adminToken,
        alpha.token,
        beta.token,
        patient.token,
        otherPatient.token,
      ]) {
        expect({ secret, found: dump.includes(secret) }).toEqual({ secret, found: false });
      }
    });
  });

  describe('what the logs show', () => {
    it('no token, private key, patient id or file name in any log line', async () => {
      const lines = logs.lines();
      expect(lines.length).toBeGreaterThan(10);
      const secrets = [
        testApp.adminToken,
        alpha.token,
        beta.token,
        patient.token,
        otherPatient.token,
        'P-4711',
        'P-0815',
        fileName,
        'pneumothorax',
      ];
      for (const secret of secrets) {
        const leaking = lines.filter((line) => line.includes(secret));
        expect({ secret, leaking }).toEqual({ secret, leaking: [] });
      }
      const hexKeys = lines.filter((line) => /\b[0-9a-f]{64}\b/i.test(line));
      expect(hexKeys).toEqual([]);
    });
  });
});
