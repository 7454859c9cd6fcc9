import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makeBmp, makeDicom, makeGif, makeJpeg, makePdf, makePng, makeTiff, makeWebp } from '../support/files';

const PROBLEM_JSON = /^application\/problem\+json/;

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
    it('#11.1 a name cut inside an emoji at the length limit leaves the record readable', async () => {
      await enrollPatient(server, provider, 'P-NAME-1');
      const created = await upload('P-NAME-1', makePng(2, 2), `${'b'.repeat(254)}😀.png`);
      expect(created.status).toBe(201);
      const id = created.body.recordId as string;
      for (const path of ['latest', id]) {
        const served = await get(`${records('P-NAME-1')}/${path}?chain=supchain`);
        expect(served.status).toBe(200);
      }
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
