import type { App } from 'supertest/types';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import { makeDicom, makeJpeg, makePdf, makePng } from '../support/files';
import { binary, expectProblem, recordsClient, recordsPath as records, startRecordsApp } from '../support/records-api';

/** Uploads, reads and listings that succeed; refusals are in records-bad-input, tampering in records-integrity. */
describe('Records over HTTP (in-memory ledgers)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  const PATIENTS = ['P-1001', 'P-2002', 'P-3003', 'P-4004', 'P-5005', 'P-5006', 'P-6006', 'P-NOBODY'];

  beforeAll(async () => {
    ({ testApp, server, provider } = await startRecordsApp(PATIENTS));
  });

  afterAll(async () => {
    await testApp.close();
  });

  const { get, upload, count } = recordsClient(() => ({ server, provider }));

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
});
