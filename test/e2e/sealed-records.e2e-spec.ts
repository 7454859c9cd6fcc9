import request from 'supertest';
import type { App } from 'supertest/types';
import { hexToBytes } from '../../src/domain/bytes';
import { RecordId } from '../../src/domain/record-id';
import { HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { Actor, createProvider } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makePng } from '../support/files';
import { TestPatient } from '../support/patient-keys';

const PROBLEM_JSON = /^application\/problem\+json/;
const MAX_UPLOAD_BYTES = 64 * 1024;

/**
 * Issue 13 over HTTP (in-memory ledgers): a patient's keys registered from "the browser", the re-wrap of
 * an upload made before, sealed reads and uploads, the plaintext endpoints refusing patients, and each
 * bad sealed upload refused with its own code and nothing written. One story: each test builds on the
 * one before.
 */
describe('#13 sealed records: the patient holds the keys', () => {
  let testApp: TestApp;
  let server: App;
  let alpha: Actor;
  let beta: Actor;
  let patientActor: Actor;
  let patient: TestPatient;
  let earlyRecordId: string;
  let ownRecordId: string;
  let serviceKey: Uint8Array;
  const early = makePng(20, 20, 1);
  const own = makePng(16, 16, 2);
  const records = '/api/v1/patients/P-1301/records';
  const sealedRecords = '/api/v1/patients/P-1301/sealed-records';

  function expectProblem(response: request.Response, status: number, code: string): void {
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
  }

  async function count(chain: 'supchain' | 'medchain'): Promise<number> {
    const page = await request(server).get(sealedRecords).query({ chain, limit: 100 }).set(patientActor.auth);
    expect(page.status).toBe(200);
    return page.body.items.length as number;
  }

  beforeAll(async () => {
    testApp = await createTestApp({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
    server = testApp.app.getHttpServer();
    alpha = await createProvider(server, testApp.adminToken, 'alpha-13');
    beta = await createProvider(server, testApp.adminToken, 'beta-13');
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('enrolment gives the patient no key; a provider upload before the claim is sealed to the uploader only', async () => {
    const enrolled = await request(server).post('/api/v1/patients').set(alpha.auth).send({ patientId: 'P-1301' });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.publicKey).toBeUndefined();
    expect(enrolled.body.token).toBeUndefined();
    const claimed = await request(server).post('/api/v1/claims').send({ claimCode: enrolled.body.claimCode });
    patientActor = { id: 'P-1301', token: claimed.body.token, auth: { Authorization: `Bearer ${claimed.body.token}` } };
    const me = await request(server).get('/api/v1/me').set(patientActor.auth);
    expect(me.body).toMatchObject({
      id: 'P-1301',
      role: 'patient',
      keys: null,
      patientKey: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });

    const upload = await request(server)
      .post(records)
      .set(alpha.auth)
      .field('chain', 'supchain')
      .attach('file', early, { filename: 'early.png', contentType: 'image/png' });
    expect(upload.status).toBe(201);
    earlyRecordId = upload.body.recordId;
  });

  it('the patient registers keys: the proof is checked, and the earlier upload gets the patient slot', async () => {
    const forged = await request(server)
      .post('/api/v1/me/keys')
      .set(patientActor.auth)
      .send({
        encryptionPublicKey: `0x04${'11'.repeat(64)}`,
        signingPublicKey: `0x04${'22'.repeat(64)}`,
        proof: `0x${'33'.repeat(64)}`,
        backup: 'AAAA',
      });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeLessThan(500);

    patient = await TestPatient.register(server, patientActor);
    const me = await request(server).get('/api/v1/me').set(patientActor.auth);
    expect(me.body.keys.encryptionPublicKey).toBe(`0x${Buffer.from(patient.encryption.publicKey).toString('hex')}`);
    const again = await request(server)
      .post('/api/v1/me/keys')
      .set(patientActor.auth)
      .send({
        encryptionPublicKey: me.body.keys.encryptionPublicKey,
        signingPublicKey: me.body.keys.signingPublicKey,
        proof: `0x${'33'.repeat(64)}`,
        backup: 'AAAA',
      });
    expectProblem(again, 409, 'KEYS_ALREADY_REGISTERED');

    const sealed = await patient.fetchSealed(server, earlyRecordId, 'supchain');
    expect(sealed.addedKeyEnvelopes).toHaveLength(1);
    expect(sealed.signer.kind).toBe('service');
    serviceKey = hexToBytes((sealed.signer.publicKey as string).slice(2));
    const opened = await patient.open(sealed, serviceKey);
    expect(Buffer.from(opened.bytes).equals(early)).toBe(true);
    expect(opened.header).toMatchObject({ fileName: 'early.png', contentType: 'image/png', uploader: 'alpha-13' });
  });

  it('the plaintext endpoints send the patient to the sealed ones', async () => {
    expectProblem(
      await request(server).get(records).query({ chain: 'supchain' }).set(patientActor.auth),
      409,
      'SEALED_READ_REQUIRED',
    );
    expectProblem(
      await request(server).get(`${records}/latest`).query({ chain: 'any' }).set(patientActor.auth),
      409,
      'SEALED_READ_REQUIRED',
    );
    expectProblem(
      await request(server).get(`${records}/${earlyRecordId}/metadata`).query({ chain: 'any' }).set(patientActor.auth),
      409,
      'SEALED_READ_REQUIRED',
    );
    const plainUpload = await request(server)
      .post(records)
      .set(patientActor.auth)
      .field('chain', 'supchain')
      .attach('file', own, { filename: 'own.png', contentType: 'image/png' });
    expectProblem(plainUpload, 409, 'SEALED_UPLOAD_REQUIRED');
  });

  it('#14 a provider upload after registration is sealed to the patient’s epoch key: the patient opens it through epoch 0', async () => {
    const upload = await request(server)
      .post(records)
      .set(alpha.auth)
      .field('chain', 'both')
      .attach('file', early, { filename: 'later.png', contentType: 'image/png' });
    expect(upload.status).toBe(201);
    const sealed = await patient.fetchSealed(server, upload.body.recordId, 'medchain');
    expect(sealed.addedKeyEnvelopes).toHaveLength(0);
    await expect(patient.open(sealed, serviceKey)).rejects.toThrow('no slot for this patient');
    const epochKeys = await patient.epochKeys(server);
    expect(epochKeys).toHaveLength(1);
    expect(Buffer.from((await patient.open(sealed, serviceKey, epochKeys)).bytes).equals(early)).toBe(true);
  });

  it('the patient uploads a sealed PNG with no consent in force; it reads back; no provider can be served it', async () => {
    const response = await patient.upload(server, own, 'mine.png', 'image/png', 'supchain');
    expect(response.status).toBe(201);
    ownRecordId = response.body.recordId;
    const sealed = await patient.fetchSealed(server, ownRecordId, 'supchain');
    expect(sealed.signer.kind).toBe('patient');
    const opened = await patient.open(sealed);
    expect(Buffer.from(opened.bytes).equals(own)).toBe(true);
    expect(opened.header.fileName).toBe('mine.png');

    expectProblem(
      await request(server).get(`${records}/${ownRecordId}`).query({ chain: 'supchain' }).set(beta.auth),
      403,
      'CONSENT_REQUIRED',
    );
    const grant = await patient.grant(server, 'beta-13');
    expect(grant.status).toBe(201);
    // #14: the record is sealed to the patient's epoch 0, and the grant gave beta a slot of it.
    const mine = await request(server).get(`${records}/${ownRecordId}`).query({ chain: 'supchain' }).set(beta.auth);
    expect(mine.status).toBe(200);
    expect(Buffer.from(mine.body).equals(own)).toBe(true);
    // Records a custodian key opens are served under consent (through the uploader's slot).
    const early = await request(server).get(`${records}/${earlyRecordId}`).query({ chain: 'supchain' }).set(beta.auth);
    expect(early.status).toBe(200);
  });

  it('#14 with consent in force, the patient seals to their key and the current epoch key; the consented provider reads it', async () => {
    const recipients = await request(server)
      .get('/api/v1/patients/P-1301/recipients')
      .query({ chain: 'supchain' })
      .set(patientActor.auth);
    expect(recipients.body.recipients.map((r: { role: string; id: string }) => `${r.role}:${r.id}`)).toEqual([
      'patient:P-1301',
      'epoch:epoch-0',
    ]);
    const response = await patient.upload(server, own, 'shared.png', 'image/png', 'supchain');
    expect(response.status).toBe(201);
    const read = await request(server)
      .get(`${records}/${response.body.recordId}`)
      .query({ chain: 'supchain' })
      .set(beta.auth);
    expect(read.status).toBe(200);
    expect(Buffer.from(read.body).equals(own)).toBe(true);
  });

  describe('bad sealed uploads: each its own 4xx, nothing written', () => {
    let context: { patientKey: string; recipients: Uint8Array[] };

    beforeAll(async () => {
      const answer = await request(server)
        .get('/api/v1/patients/P-1301/recipients')
        .query({ chain: 'supchain' })
        .set(patientActor.auth);
      context = {
        patientKey: answer.body.patientKey,
        recipients: answer.body.recipients.map((r: { publicKey: string }) => hexToBytes(r.publicKey.slice(2))),
      };
    });

    async function refused(
      mutate: (sealed: Awaited<ReturnType<TestPatient['seal']>>) => void,
      status: number,
      code: string,
      recipients = context.recipients,
    ): Promise<void> {
      const before = await count('supchain');
      const sealed = await patient.seal(
        own,
        { fileName: 'x.png', contentType: 'image/png' },
        context.patientKey,
        recipients,
        ['supchain'],
      );
      mutate(sealed);
      expectProblem(await patient.post(server, sealed), status, code);
      expect(await count('supchain')).toBe(before);
    }

    it('a bad signature', () =>
      refused(
        (sealed) => {
          const signatures = JSON.parse(sealed.fields.signatures) as Record<string, string>;
          const last = signatures.supchain.slice(-2) === '00' ? '01' : '00';
          signatures.supchain = signatures.supchain.slice(0, -2) + last;
          sealed.fields.signatures = JSON.stringify(signatures);
        },
        422,
        'SIGNATURE_INVALID',
      ));

    it('a missing signature for a target ledger', () =>
      refused(
        (sealed) => {
          sealed.fields.signatures = '{}';
        },
        422,
        'SIGNATURE_INVALID',
      ));

    it('a first recipient that is not the patient', async () => {
      const stranger = await new HpkeP256Cipher().generateKeyPair();
      await refused(() => undefined, 422, 'RECIPIENTS_MISMATCH', [stranger.publicKey, ...context.recipients.slice(1)]);
    });

    it('#14 the epoch key left out', () =>
      refused(() => undefined, 422, 'RECIPIENTS_MISMATCH', context.recipients.slice(0, 1)));

    it('a malformed envelope', () =>
      refused(
        (sealed) => {
          sealed.fields.keyEnvelope = Buffer.from([2, 1, 9, 9, 9]).toString('base64');
        },
        422,
        'ENVELOPE_MALFORMED',
      ));

    it('a record id already used', async () => {
      const before = await count('supchain');
      const sealed = await patient.seal(
        own,
        { fileName: 'x.png', contentType: 'image/png' },
        context.patientKey,
        context.recipients,
        ['supchain'],
        RecordId.parse(ownRecordId),
      );
      expectProblem(await patient.post(server, sealed), 409, 'RECORD_EXISTS');
      expect(await count('supchain')).toBe(before);
    });

    it('oversize content', async () => {
      const before = await count('supchain');
      const big = Buffer.alloc(MAX_UPLOAD_BYTES + 17, 1);
      const sealed = await patient.seal(
        own,
        { fileName: 'x.png', contentType: 'image/png' },
        context.patientKey,
        context.recipients,
        ['supchain'],
      );
      const response = await patient.post(server, { ...sealed, content: big });
      expect(response.status).toBe(413);
      expect(await count('supchain')).toBe(before);
    });

    it('providers cannot use the sealed endpoints', async () => {
      expectProblem(await request(server).get(sealedRecords).query({ chain: 'any' }).set(alpha.auth), 403, 'FORBIDDEN');
    });
  });
});
