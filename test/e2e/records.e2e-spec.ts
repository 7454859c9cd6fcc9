import request from 'supertest';
import type { App } from 'supertest/types';
import { LedgerRecord } from '../../src/domain/emr-record';
import { Ledgers } from '../../src/domain/ledgers';
import { RecordId } from '../../src/domain/record-id';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makeDicom, makeJpeg, makePdf, makePng, pngOfSize } from '../support/files';

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const PROBLEM_JSON = /^application\/problem\+json/;

describe('Records over HTTP (in-memory ledgers)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  const PATIENTS = [
    'P-1001',
    'P-2002',
    'P-3003',
    'P-4004',
    'P-5005',
    'P-5006',
    'P-6006',
    'P-7007',
    'P-8008',
    'P-8009',
    'P-REPLAY',
    'P-NOBODY',
  ];
  const TAMPERED = [0, 1, 2, 3, 4].map((n) => `P-TAMPER-${n}`);

  beforeAll(async () => {
    testApp = await createTestApp();
    server = testApp.app.getHttpServer();
    provider = await createProvider(server, testApp.adminToken, 'dr-records');
    for (const patientId of [...PATIENTS, ...TAMPERED]) await enrollPatient(server, provider, patientId);
  });

  /** Requests as the uploading provider, who may read what it uploaded. */
  const get = (path: string) => request(server).get(path).set(provider.auth);

  afterAll(async () => {
    await testApp.close();
  });

  const records = (patientId: string) => `/api/v1/patients/${encodeURIComponent(patientId)}/records`;

  function upload(patientId: string, chain: string, file: Buffer, fileName = 'scan.png', contentType?: string) {
    return request(server)
      .post(records(patientId))
      .set(provider.auth)
      .field('chain', chain)
      .attach('file', file, contentType ? { filename: fileName, contentType } : fileName);
  }

  async function count(patientId: string, chain: string): Promise<number> {
    const response = await get(records(patientId)).query({ chain, limit: 100 }).expect(200);
    return response.body.items.length;
  }

  function expectProblem(response: request.Response, status: number, code: string): void {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status, code });
    expect(typeof response.body.type).toBe('string');
    expect(typeof response.body.title).toBe('string');
    expect(typeof response.body.detail).toBe('string');
  }

  describe('upload and retrieve', () => {
    it('stores a PNG on SUPchain and serves the identical bytes back', async () => {
      const png = makePng(32, 24, 1);
      const created = await upload('P-1001', 'SUPchain', png, 'scan.png').expect(201);

      expect(created.body).toMatchObject({
        patientId: 'P-1001',
        chain: 'supchain',
        version: 1,
        contentType: 'image/png',
        fileName: 'scan.png',
        size: png.length,
        uploader: 'dr-records',
      });
      expect(created.body.recordId).toMatch(/^0x[0-9a-f]{64}$/);
      expect(created.body.ciphertextSha256).toMatch(/^0x[0-9a-f]{64}$/);
      expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);
      expect(created.headers.location).toBe(`/api/v1/patients/P-1001/records/${created.body.recordId}?chain=supchain`);

      const latest = await get(`${records('P-1001')}/latest`)
        .query({ chain: 'supchain' })
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(latest.headers['content-type']).toBe('image/png');
      expect(latest.headers['content-length']).toBe(String(png.length));
      expect(latest.headers.etag).toBe(`"${created.body.recordId}"`);
      expect(latest.headers['x-record-id']).toBe(created.body.recordId);
      expect(latest.headers['content-disposition']).toBe('inline; filename="scan.png"');
      expect(Buffer.compare(latest.body as Buffer, png)).toBe(0);

      const byLocation = await get(created.headers.location).buffer(true).parse(binary).expect(200);
      expect(Buffer.compare(byLocation.body as Buffer, png)).toBe(0);
    });

    it('keeps every upload as a new version and never overwrites', async () => {
      const first = makePng(8, 8, 10);
      const second = makePng(8, 8, 20);
      const a = await upload('P-2002', 'medchain', first, 'first.png').expect(201);
      const b = await upload('P-2002', 'medchain', second, 'second.png').expect(201);
      expect(a.body.version).toBe(1);
      expect(b.body.version).toBe(2);
      expect(a.body.recordId).not.toBe(b.body.recordId);

      const latest = await get(`${records('P-2002')}/latest?chain=medchain`)
        .buffer(true)
        .parse(binary);
      expect(Buffer.compare(latest.body as Buffer, second)).toBe(0);

      const older = await get(`${records('P-2002')}/${a.body.recordId}?chain=MEDchain`)
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(Buffer.compare(older.body as Buffer, first)).toBe(0);
      expect(older.headers['content-disposition']).toBe('inline; filename="first.png"');
    });

    it('keeps the two ledgers apart', async () => {
      await upload('P-3003', 'supchain', makePng(4, 4, 3)).expect(201);
      const response = await get(`${records('P-3003')}/latest?chain=medchain`);
      expectProblem(response, 404, 'RECORD_NOT_FOUND');
      expect(await count('P-3003', 'medchain')).toBe(0);
    });

    it.each([
      ['application/pdf', makePdf(), 'report.pdf'],
      ['application/dicom', makeDicom(), 'ct.dcm'],
      ['image/jpeg', makeJpeg(), 'photo.jpg'],
    ])('accepts %s and serves it with its original type', async (mime, bytes, name) => {
      const created = await upload('P-4004', 'supchain', bytes, name).expect(201);
      expect(created.body.contentType).toBe(mime);
      const served = await get(`${records('P-4004')}/${created.body.recordId}?chain=supchain`)
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(served.headers['content-type']).toBe(mime);
      expect(Buffer.compare(served.body as Buffer, bytes)).toBe(0);
    });

    it('serves metadata without content', async () => {
      const png = makePng(5, 5, 5);
      const created = await upload('P-5005', 'supchain', png, 'knee.png').expect(201);
      const metadata = await get(`${records('P-5005')}/${created.body.recordId}/metadata?chain=supchain`).expect(200);
      expect(metadata.headers['content-type']).toMatch(/^application\/json/);
      expect(metadata.body).toEqual(created.body);
    });

    it('encodes awkward file names safely in Content-Disposition', async () => {
      const created = await upload('P-5006', 'supchain', makePng(2, 2), 'Röntgen "links".png').expect(201);
      expect(created.body.fileName).toBe('Röntgen links.png');
      const served = await get(`${records('P-5006')}/latest?chain=supchain`).expect(200);
      expect(served.headers['content-disposition']).toBe(
        `inline; filename="R_ntgen links.png"; filename*=UTF-8''R%C3%B6ntgen%20links.png`,
      );
    });
  });

  describe('listing', () => {
    const patient = 'P-6006';
    const ids: string[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 5; i++) {
        const created = await upload(patient, 'supchain', makePng(3, 3, i), `v${i + 1}.png`).expect(201);
        ids.push(created.body.recordId);
      }
    });

    it('lists newest first with the default page size', async () => {
      const page = await get(records(patient)).query({ chain: 'supchain' }).expect(200);
      expect(page.body.items.map((item: { version: number }) => item.version)).toEqual([5, 4, 3, 2, 1]);
      expect(page.body.items[0].recordId).toBe(ids[4]);
      expect(page.body.items[0].fileName).toBe('v5.png');
      expect(page.body.nextCursor).toBeNull();
    });

    it('pages with an opaque cursor until the history ends', async () => {
      const seen: number[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await get(records(patient))
          .query({ chain: 'supchain', limit: 2, ...(cursor ? { cursor } : {}) })
          .expect(200);
        seen.push(...page.body.items.map((item: { version: number }) => item.version));
        cursor = page.body.nextCursor ?? undefined;
        if (!cursor) break;
      }
      expect(seen).toEqual([5, 4, 3, 2, 1]);
    });

    it('answers an empty page for a patient without records', async () => {
      const page = await get(records('P-NOBODY')).query({ chain: 'medchain' }).expect(200);
      expect(page.body).toEqual({ items: [], nextCursor: null });
    });
  });

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

  describe('integrity: tampered ledger data is refused with 422 and no bytes', () => {
    let repository: InMemoryEmrRepository;

    beforeAll(() => {
      repository = testApp.app.get(Ledgers).get('supchain') as InMemoryEmrRepository;
    });

    const tamperings: [
      string,
      (entry: { record: Record<string, unknown> & { [k: string]: unknown }; content: Uint8Array }) => void,
    ][] = [
      ['a byte of the stored ciphertext', (entry) => (entry.content[entry.content.length >> 1] ^= 0x01)],
      ['the stored ciphertext digest', (entry) => flip(entry.record.contentSha256 as Uint8Array)],
      ['a byte of the signature', (entry) => flip(entry.record.signature as Uint8Array)],
      // The last slot is the uploading provider's (the reader here); flip its sealed data key.
      [
        'a byte of the wrapped key',
        (entry) => flip(entry.record.keyEnvelope as Uint8Array, (entry.record.keyEnvelope as Uint8Array).length - 20),
      ],
      ['a byte of the sealed header', (entry) => flip(entry.record.sealedHeader as Uint8Array)],
    ];

    it.each(tamperings.map((t, index) => [...t, index] as const))('flipping %s', async (_what, mutate, index) => {
      const patient = TAMPERED[index];
      const png = makePng(16, 16, 9);
      const created = await upload(patient, 'supchain', png).expect(201);
      repository.tamper(RecordId.parse(created.body.recordId), mutate as never);

      for (const path of [`${records(patient)}/latest`, `${records(patient)}/${created.body.recordId}`]) {
        const response = await get(path).query({ chain: 'supchain' }).buffer(true).parse(binary);
        expectProblemBuffer(response, 422, 'INTEGRITY_CHECK_FAILED');
        expect((response.body as Buffer).includes(png.subarray(16, 48))).toBe(false);
      }
    });

    it('refuses a record replayed onto the other ledger', async () => {
      const patient = 'P-REPLAY';
      const created = await upload(patient, 'supchain', makePng(4, 4)).expect(201);
      let copy: { record: LedgerRecord; content: Uint8Array } | undefined;
      repository.tamper(RecordId.parse(created.body.recordId), (entry) => {
        copy = { record: entry.record, content: Uint8Array.from(entry.content) };
      });
      const medchain = testApp.app.get(Ledgers).get('medchain');
      await medchain.append({ ...copy!.record, content: copy!.content });

      const response = await get(`${records(patient)}/latest?chain=medchain`)
        .buffer(true)
        .parse(binary);
      expectProblemBuffer(response, 422, 'INTEGRITY_CHECK_FAILED');
    });
  });

  describe('health and docs', () => {
    it('reports both ledgers, and the bad copies the tamper tests found', async () => {
      const response = await request(server).get('/health').expect(200);
      expect(Object.keys(response.body.chains).sort()).toEqual(['medchain', 'supchain']);
      expect(response.body.chains.supchain).toMatchObject({ status: 'up', pendingReplicas: 0 });
      // Every tamper test above read a bad copy from supchain; the replay test one from medchain.
      expect(response.body.chains.supchain.integrity.failures).toBeGreaterThanOrEqual(5);
      expect(response.body.chains.medchain.integrity.failures).toBeGreaterThanOrEqual(1);
      expect(response.body.status).toBe('degraded');
    });

    it('publishes the OpenAPI document generated from the code', async () => {
      const response = await request(server).get('/docs-json').expect(200);
      expect(response.body.openapi).toMatch(/^3\./);
      expect(Object.keys(response.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/patients/{patientId}/records',
          '/api/v1/patients/{patientId}/records/latest',
          '/api/v1/patients/{patientId}/records/{recordId}',
          '/api/v1/patients/{patientId}/records/{recordId}/metadata',
          '/health',
        ]),
      );
      await request(server).get('/docs').expect(200);
    });

    it('sends security headers', async () => {
      const response = await request(server).get('/health');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-powered-by']).toBeUndefined();
    });
  });
});

function flip(bytes: Uint8Array, index = 0): void {
  bytes[Math.min(index, bytes.length - 1)] ^= 0x01;
}

function binary(response: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}

function expectProblemBuffer(response: request.Response, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(JSON.parse((response.body as Buffer).toString('utf8'))).toMatchObject({ status, code });
}
