import request from 'supertest';
import type { App } from 'supertest/types';
import * as fileNames from '../../src/domain/file-name';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makeBmp, makeDicom, makeGif, makeJpeg, makePdf, makePng, makeTiff, makeWebp } from '../support/files';

const PROBLEM_JSON = /^application\/problem\+json/;

/** Whether the text is well-formed UTF-16 (no lone surrogate, escaped or not). */
function isWellFormed(text: string): boolean {
  const unescaped = text.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return !/[\uD800-\uDFFF]/.test(unescaped.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

describe('Hostile file names and malformed media (in-memory ledgers)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;

  beforeAll(async () => {
    testApp = await createTestApp();
    server = testApp.app.getHttpServer();
    provider = await createProvider(server, testApp.adminToken, 'dr-hostile');
    await enrollPatient(server, provider, 'P-MEDIA-OK');
  });

  afterAll(async () => {
    await testApp.close();
  });

  const records = (patientId: string) => `/api/v1/patients/${encodeURIComponent(patientId)}/records`;
  const get = (path: string) => request(server).get(path).set(provider.auth);

  function upload(patientId: string, file: Buffer, fileName: string) {
    return request(server)
      .post(records(patientId))
      .set(provider.auth)
      .field('chain', 'supchain')
      .attach('file', file, fileName);
  }

  describe('#11.1 file names', () => {
    /** Every read that shows the record: its content (latest and by id), metadata and the listing. */
    async function readsOf(patientId: string, recordId: string) {
      const base = records(patientId);
      const latest = await get(`${base}/latest?chain=supchain`);
      const byId = await get(`${base}/${recordId}?chain=supchain`);
      const metadata = await get(`${base}/${recordId}/metadata?chain=supchain`);
      const listing = await get(base).query({ chain: 'supchain' });
      for (const response of [latest, byId, metadata, listing]) expect(response.status).toBe(200);
      // supertest parses the JSON: a lone surrogate would survive as one, so check the text.
      expect(isWellFormed(metadata.text)).toBe(true);
      expect(isWellFormed(listing.text)).toBe(true);
      return {
        disposition: latest.headers['content-disposition'] as string,
        byIdDisposition: byId.headers['content-disposition'] as string,
        metadataName: metadata.body.fileName as string,
        listedName: listing.body.items[0].fileName as string,
      };
    }

    it('#11.1 a name cut inside an emoji at the length limit leaves the record readable', async () => {
      await enrollPatient(server, provider, 'P-NAME-1');
      const created = await upload('P-NAME-1', makePng(2, 2), `${'b'.repeat(254)}😀.png`);
      expect(created.status).toBe(201);
      const expected = `${'b'.repeat(251)}.png`;
      expect(created.body.fileName).toBe(expected);
      const reads = await readsOf('P-NAME-1', created.body.recordId);
      expect(reads).toEqual({
        disposition: `inline; filename="${expected}"`,
        byIdDisposition: `inline; filename="${expected}"`,
        metadataName: expected,
        listedName: expected,
      });
    });

    // A raw C0 control makes the multipart header itself malformed (400), so C0 is covered by the unit spec.
    it('#11.1 bidi and C1 controls are stripped from a name before it is stored', async () => {
      await enrollPatient(server, provider, 'P-NAME-2');
      const created = await upload('P-NAME-2', makePng(2, 2), 'invoice\u202Egnp\u2066\u0085.exe.png');
      expect(created.status).toBe(201);
      expect(created.body.fileName).toBe('invoicegnp.exe.png');
      const reads = await readsOf('P-NAME-2', created.body.recordId);
      expect(reads.metadataName).toBe('invoicegnp.exe.png');
      expect(reads.disposition).toBe('inline; filename="invoicegnp.exe.png"');
    });

    describe('a record whose name is already malformed on the ledger', () => {
      afterEach(() => jest.restoreAllMocks());

      /**
       * Writes through the real upload path with the sanitizer bypassed, storing `name` as older
       * code could (a lone surrogate cannot travel in a UTF-8 multipart header, so it is injected here).
       */
      async function storeUncleaned(patientId: string, name: string): Promise<string> {
        jest.spyOn(fileNames, 'cleanFileName').mockReturnValue(name);
        const created = await upload(patientId, makePdf(), 'placeholder.pdf');
        jest.restoreAllMocks();
        expect(created.status).toBe(201);
        return created.body.recordId as string;
      }

      it.each([
        ['a lone high surrogate', 'P-LEGACY-1', 'scan\uD83D.pdf', 'scan.pdf'],
        ['only a lone surrogate', 'P-LEGACY-2', '\uDE00', 'record.pdf'],
        ['bidi controls', 'P-LEGACY-3', 'report\u202Efdp.exe', 'reportfdp.exe'],
      ])('#11.1 is still served (200) under a safe name: %s', async (_case, patientId, stored, shown) => {
        await enrollPatient(server, provider, patientId);
        const disposition = `inline; filename="${shown}"`;
        const recordId = await storeUncleaned(patientId, stored);
        const reads = await readsOf(patientId, recordId);
        expect(reads).toEqual({ disposition, byIdDisposition: disposition, metadataName: shown, listedName: shown });
      });
    });
  });

  describe('#11.9 media structure', () => {
    const patient = 'P-MEDIA';
    const cut = (file: Buffer, length: number) => file.subarray(0, length);

    beforeAll(async () => {
      await enrollPatient(server, provider, patient);
    });

    it.each([
      ['PNG', 'the 8-byte signature alone', cut(makePng(2, 2), 8), 'scan.png'],
      ['PNG', 'cut before IEND', cut(makePng(2, 2), -12), 'scan.png'],
      ['JPEG', 'SOI and a marker alone', cut(makeJpeg(), 4), 'photo.jpg'],
      ['JPEG', 'cut before EOI', cut(makeJpeg(), -2), 'photo.jpg'],
      ['GIF', 'the header alone', cut(makeGif(), 6), 'anim.gif'],
      ['WebP', 'cut short of its RIFF size', cut(makeWebp(), -2), 'photo.webp'],
      ['TIFF', 'the header alone', cut(makeTiff(), 8), 'slide.tiff'],
      ['BMP', 'headers without pixels', cut(makeBmp(), 54), 'old.bmp'],
      ['DICOM', 'preamble and DICM alone', cut(makeDicom(), 132), 'ct.dcm'],
      ['PDF', 'no %%EOF', cut(makePdf(), 20), 'report.pdf'],
    ])('#11.9 refuses a fake or truncated %s (%s) with 415 and writes nothing', async (format, _case, file, name) => {
      const response = await upload(patient, file, name);
      expect(response.status).toBe(415);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(response.body.detail).toContain(`like a ${format} file but is truncated or malformed`);
      const listed = await get(records(patient)).query({ chain: 'supchain' }).expect(200);
      expect(listed.body.items).toEqual([]);
    });

    it.each([
      ['image/png', makePng(2, 2), 'scan.png'],
      ['image/jpeg', makeJpeg(), 'photo.jpg'],
      ['image/gif', makeGif(), 'anim.gif'],
      ['image/webp', makeWebp(), 'photo.webp'],
      ['image/tiff', makeTiff(), 'slide.tiff'],
      ['image/bmp', makeBmp(), 'old.bmp'],
      ['application/dicom', makeDicom(), 'ct.dcm'],
      ['application/pdf', makePdf(), 'report.pdf'],
    ])('#11.9 still accepts a real minimal %s', async (mime, file, name) => {
      const response = await upload('P-MEDIA-OK', file, name);
      expect(response.status).toBe(201);
      expect(response.body.contentType).toBe(mime);
    });
  });
});
