import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import {
  binary,
  expectOutcome,
  FHIR,
  FhirApp,
  provideSampleDocuments,
  SAMPLE_PDF,
  SAMPLE_PNG,
  startFhirApp,
} from '../support/fhir/fhir-app';

describe('#15 FHIR R4 face (in-memory ledgers)', () => {
  let fhirApp: FhirApp;
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  let stranger: Actor;

  beforeAll(async () => {
    fhirApp = await startFhirApp();
    ({ testApp, server, provider, stranger } = fhirApp);
  });

  afterAll(async () => {
    await testApp.close();
  });

  describe('ITI-68 Retrieve Document', () => {
    const png = SAMPLE_PNG;
    const pdf = SAMPLE_PDF;
    let pngId: string;
    let pdfId: string;

    beforeAll(async () => {
      ({ pngId, pdfId } = await provideSampleDocuments(fhirApp));
    });

    it('#15 ITI-68 returns the original bytes with their type; a Range is 206, an unsatisfiable one 416', async () => {
      const path = `${FHIR}/documents/P-FHIR-3/0x${pngId}`;
      const whole = await request(server).get(path).set(provider.auth).buffer(true).parse(binary).expect(200);
      expect(whole.headers['content-type']).toBe('image/png');
      expect(Buffer.compare(whole.body as Buffer, png)).toBe(0);
      expect(whole.headers['accept-ranges']).toBe('bytes');

      const part = await request(server)
        .get(path)
        .set(provider.auth)
        .set('Range', 'bytes=8-23')
        .buffer(true)
        .parse(binary);
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 8-23/${png.length}`);
      expect(Buffer.compare(part.body as Buffer, png.subarray(8, 24))).toBe(0);

      const tail = await request(server)
        .get(path)
        .set(provider.auth)
        .set('Range', 'bytes=-10')
        .buffer(true)
        .parse(binary);
      expect(tail.status).toBe(206);
      expect(Buffer.compare(tail.body as Buffer, png.subarray(png.length - 10))).toBe(0);

      const outside = await request(server).get(path).set(provider.auth).set('Range', `bytes=${png.length}-`);
      expectOutcome(outside, 416, 'Range');
      expect(outside.headers['content-range']).toBe(`bytes */${png.length}`);
    });

    it('#15 ITI-68: an Accept the document cannot meet is 406; no consent is 403; a break-glass read is served', async () => {
      const path = `${FHIR}/documents/P-FHIR-3/0x${pdfId}`;
      expectOutcome(await request(server).get(path).set(provider.auth).set('Accept', 'image/*'), 406, 'Accept');
      expectOutcome(await request(server).get(path).set(provider.auth).set('Accept', 'application/fhir+xml'), 406);
      await request(server).get(path).set(provider.auth).set('Accept', 'application/pdf').expect(200);
      expectOutcome(await request(server).get(path).set(stranger.auth), 403);
      const emergency = await request(server)
        .get(path)
        .set(stranger.auth)
        .set('X-Break-Glass-Reason', 'unconscious patient in the emergency room')
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(Buffer.compare(emergency.body as Buffer, pdf)).toBe(0);
    });
  });
});
