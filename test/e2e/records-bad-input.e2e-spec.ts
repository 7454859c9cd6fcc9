import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import { makePng, pngOfSize } from '../support/files';
import {
  expectProblem,
  PROBLEM_JSON,
  recordsClient,
  recordsPath as records,
  startRecordsApp,
} from '../support/records-api';

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Requests the service refuses with a 4xx problem, on upload and on read. */
describe('Records over HTTP (in-memory ledgers)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  const PATIENTS = ['P-7007', 'P-8008', 'P-8009'];

  beforeAll(async () => {
    ({ testApp, server, provider } = await startRecordsApp(PATIENTS));
  });

  afterAll(async () => {
    await testApp.close();
  });

  const { get, upload, count } = recordsClient(() => ({ server, provider }));

  describe('bad input gets a 4xx problem and stores nothing', () => {
    const patient = 'P-7007';

    beforeAll(async () => {
      await upload(patient, 'supchain', makePng(2, 2)).expect(201);
    });

    afterEach(async () => {
      expect(await count(patient, 'supchain')).toBe(1);
      expect(await count(patient, 'medchain')).toBe(0);
      await request(server).get('/health').expect(200);
    });

    it.each(['bad id!', '-leading-dash', 'x'.repeat(65), 'semi;colon'])('refuses patient id %j', async (id) => {
      const response = await upload(id, 'supchain', makePng(2, 2));
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.field).toBe('patientId');
      expect(JSON.stringify(response.body)).not.toContain(id);
    });

    it('refuses an unknown ledger', async () => {
      const response = await upload(patient, 'bitcoin', makePng(2, 2));
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.field).toBe('chain');
    });

    it('refuses a missing chain', async () => {
      const response = await request(server)
        .post(records(patient))
        .set(provider.auth)
        .attach('file', makePng(2, 2), 'a.png');
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.field).toBe('chain');
    });

    it('refuses a request without a file', async () => {
      const response = await request(server).post(records(patient)).set(provider.auth).field('chain', 'supchain');
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.field).toBe('file');
    });

    it('refuses a JSON body instead of multipart', async () => {
      const response = await request(server)
        .post(records(patient))
        .set(provider.auth)
        .send({ chain: 'supchain', file: 'aGVsbG8=' });
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });

    it('refuses an empty file', async () => {
      const response = await upload(patient, 'supchain', Buffer.alloc(0), 'empty.png');
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.field).toBe('file');
    });

    it('refuses 10 MiB + 1 byte with 413', async () => {
      const response = await upload(patient, 'supchain', pngOfSize(MAX_UPLOAD_BYTES + 1), 'huge.png');
      expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(response.body).toMatchObject({ maxBytes: MAX_UPLOAD_BYTES, field: 'file' });
    });

    it('refuses a text file renamed .png with 415', async () => {
      const response = await upload(patient, 'supchain', Buffer.from('just some notes, not an image\n'), 'notes.png');
      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses a PNG claimed to be a PDF with 415', async () => {
      const response = await upload(patient, 'supchain', makePng(2, 2), 'scan.pdf', 'application/pdf');
      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses a malformed multipart body', async () => {
      const response = await request(server)
        .post(records(patient))
        .set(provider.auth)
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send(
          '--XYZ\r\nContent-Disposition: form-data; name="chain"\r\n\r\nsupchain\r\n--XYZ\r\nContent-Disposition: form-da',
        );
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });

    it('refuses the file under another field name', async () => {
      const response = await request(server)
        .post(records(patient))
        .set(provider.auth)
        .field('chain', 'supchain')
        .attach('upload', makePng(2, 2), 'a.png');
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });

    it('refuses two files', async () => {
      const response = await request(server)
        .post(records(patient))
        .set(provider.auth)
        .field('chain', 'supchain')
        .attach('file', makePng(2, 2), 'a.png')
        .attach('file', makePng(2, 2), 'b.png');
      expect([400, 413]).toContain(response.status);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    });

    it('refuses unknown form fields', async () => {
      const response = await upload(patient, 'supchain', makePng(2, 2)).field('admin', 'true');
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });
  });

  describe('read errors', () => {
    const patient = 'P-8008';

    beforeAll(async () => {
      await upload(patient, 'supchain', makePng(2, 2)).expect(201);
    });

    it('answers 404 for an unknown record id', async () => {
      const response = await get(`${records(patient)}/0x${'11'.repeat(32)}?chain=supchain`);
      expectProblem(response, 404, 'RECORD_NOT_FOUND');
      const metadata = await get(`${records(patient)}/0x${'11'.repeat(32)}/metadata?chain=supchain`);
      expectProblem(metadata, 404, 'RECORD_NOT_FOUND');
    });

    it("answers 404 for another patient's record id", async () => {
      const other = await upload('P-8009', 'supchain', makePng(2, 2)).expect(201);
      const response = await get(`${records(patient)}/${other.body.recordId}?chain=supchain`);
      expectProblem(response, 404, 'RECORD_NOT_FOUND');
    });

    it('answers 400 for a malformed record id', async () => {
      const response = await get(`${records(patient)}/0x1234?chain=supchain`);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.field).toBe('recordId');
    });

    it.each([
      [{ chain: 'ethereum' }, 'chain'],
      [{}, 'chain'],
      [{ chain: 'supchain', limit: 0 }, 'limit'],
      [{ chain: 'supchain', limit: 101 }, 'limit'],
      [{ chain: 'supchain', limit: 'ten' }, 'limit'],
      [{ chain: 'supchain', cursor: 'not-a-cursor' }, 'cursor'],
      [{ chain: 'supchain', cursor: Buffer.from('v0').toString('base64url') }, 'cursor'],
      [{ chain: 'supchain', extra: 1 }, 'extra'],
    ])('answers 400 for list query %j', async (query, field) => {
      const response = await get(records(patient)).query(query);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.field).toBe(field);
    });

    it('answers a problem for unknown routes', async () => {
      const response = await request(server).get('/api/v1/nothing-here');
      expectProblem(response, 404, 'NOT_FOUND');
    });
  });
});
