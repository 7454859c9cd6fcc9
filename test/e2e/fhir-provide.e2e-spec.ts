import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import { makePdf, makePng, pngOfSize } from '../support/files';
import { assertValidFhir } from '../support/fhir/validate';
import {
  countRecords,
  expectOutcome,
  FHIR_JSON,
  FhirApp,
  MAX_UPLOAD_BYTES,
  postFhir,
  provideBundle,
  sha1,
  startFhirApp,
} from '../support/fhir/fhir-app';

describe('#15 FHIR R4 face (in-memory ledgers)', () => {
  let fhirApp: FhirApp;
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  let other: Actor;

  beforeAll(async () => {
    fhirApp = await startFhirApp();
    ({ testApp, server, provider, other } = fhirApp);
  });

  afterAll(async () => {
    await testApp.close();
  });

  const post = (actor: Actor, body: unknown, query = '') => postFhir(server, actor, body, query);

  const recordCount = (patientId: string, reader: Actor) => countRecords(server, patientId, reader);

  describe('ITI-65 Provide Document Bundle', () => {
    const png = makePng(16, 16, 7);
    const pdf = makePdf();

    it('#15 a PNG (Binary) and a PDF (attachment.data) become records; transaction-response in entry order', async () => {
      const before = await recordCount('P-FHIR-1', provider);
      const response = await post(
        provider,
        provideBundle('P-FHIR-1', [
          { bytes: png, contentType: 'image/png', title: 'scan.png', hash: sha1(png), size: png.length },
          {
            bytes: pdf,
            contentType: 'application/pdf',
            title: 'letter.pdf',
            binary: false,
            type: { system: 'http://loinc.org', code: '11488-4' },
          },
        ]),
      );
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(FHIR_JSON);
      expect(response.body).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
      assertValidFhir(response.body);
      expect(response.body.entry).toHaveLength(4); // List, DocumentReference, Binary, DocumentReference
      for (const entry of response.body.entry) expect(entry.response.status).toBe('201 Created');
      expect(response.body.entry[0].response.location).toMatch(/^List\//);
      expect(response.body.entry[1].response.location).toMatch(/^DocumentReference\/[0-9a-f]{64}$/);
      expect(response.body.entry[2].response.location).toMatch(/\/fhir\/R4\/documents\/P-FHIR-1\/0x[0-9a-f]{64}$/);
      expect(response.body.entry[3].response.location).toMatch(/^DocumentReference\/[0-9a-f]{64}$/);
      expect(await recordCount('P-FHIR-1', provider)).toBe(before + 2);
    });

    it('#15 ?chain=both writes to both ledgers', async () => {
      const response = await post(
        provider,
        provideBundle('P-FHIR-2', [{ bytes: makePng(8, 8, 3), contentType: 'image/png', title: 'both.png' }]),
        '?chain=both',
      ).expect(200);
      const id = response.body.entry[1].response.location.split('/')[1];
      for (const chain of ['supchain', 'medchain']) {
        await request(server)
          .get(`/api/v1/patients/P-FHIR-2/records/0x${id}/metadata`)
          .query({ chain })
          .set(provider.auth)
          .expect(200);
      }
    });

    it('#15 a Bundle retried under the same Idempotency-Key answers the same documents and writes nothing more', async () => {
      const bundle = provideBundle('P-FHIR-2', [
        { bytes: makePng(9, 9, 1), contentType: 'image/png', title: 'again.png' },
        { bytes: makePdf(), contentType: 'application/pdf', title: 'again.pdf', binary: false },
      ]);
      const first = await post(provider, bundle).set('Idempotency-Key', 'fhir-retry-1').expect(200);
      const count = await recordCount('P-FHIR-2', provider);
      const retry = await post(provider, bundle).set('Idempotency-Key', 'fhir-retry-1').expect(200);
      const locations = (response: request.Response) =>
        // supertest listens on a fresh port per request: compare the paths.
        response.body.entry.map((entry: { response: { location: string } }) =>
          entry.response.location.replace(/^http:\/\/[^/]+/, ''),
        );
      expect(locations(retry)).toEqual(locations(first));
      expect(await recordCount('P-FHIR-2', provider)).toBe(count);
    });

    describe('bad input: an OperationOutcome naming the entry, nothing written on either ledger', () => {
      const good = () => ({ bytes: makePng(8, 8, 9), contentType: 'image/png', title: 'ok.png' });
      const cases: [string, () => unknown, number, RegExp][] = [
        ['a batch Bundle', () => ({ ...provideBundle('P-FHIR-1', [good()]), type: 'batch' }), 400, /^Bundle\.type$/],
        [
          'no SubmissionSet',
          () => {
            const bundle = provideBundle('P-FHIR-1', [good()]);
            return { ...bundle, entry: bundle.entry.slice(1) };
          },
          400,
          /^Bundle\.entry$/,
        ],
        [
          'a DocumentReference whose Binary is missing',
          () => {
            const bundle = provideBundle('P-FHIR-1', [good(), good()]);
            return { ...bundle, entry: bundle.entry.slice(0, 4) }; // the second Binary left out
          },
          400,
          /^Bundle\.entry\[3\]\.resource\.content\[0\]\.attachment\.url$/,
        ],
        [
          'a hash that does not match',
          () => provideBundle('P-FHIR-1', [good(), { ...good(), hash: sha1(Buffer.from('other')) }]),
          400,
          /^Bundle\.entry\[3\]\.resource\.content\[0\]\.attachment\.hash$/,
        ],
        [
          'an unsupported media type',
          () =>
            provideBundle('P-FHIR-1', [
              good(),
              { bytes: Buffer.from('plain text'), contentType: 'text/plain', title: 'a.txt' },
            ]),
          415,
          /^Bundle\.entry\[4\]\.resource\.data$/,
        ],
        [
          'an oversize document',
          () =>
            provideBundle('P-FHIR-1', [
              good(),
              { bytes: pngOfSize(MAX_UPLOAD_BYTES + 1), contentType: 'image/png', title: 'big.png' },
            ]),
          413,
          /^Bundle\.entry\[4\]\.resource\.data$/,
        ],
        [
          'a DocumentReference for another patient than the SubmissionSet',
          () => provideBundle('P-FHIR-1', [good(), { ...good(), patient: 'P-FHIR-2' }]),
          400,
          /^Bundle\.entry\[3\]\.resource\.subject$/,
        ],
        [
          'a patient that is not enrolled',
          () => provideBundle('P-NOT-ENROLLED', [good()]),
          404,
          /^Bundle\.entry\[1\]\.resource\.subject$/,
        ],
      ];

      it.each(cases)('#15 %s', async (_name, bundle, status, expression) => {
        const before = [await recordCount('P-FHIR-1', provider), await recordCount('P-FHIR-2', provider)];
        expectOutcome(await post(provider, bundle()), status, expression);
        expect([await recordCount('P-FHIR-1', provider), await recordCount('P-FHIR-2', provider)]).toEqual(before);
      });

      it('#15 a patient the caller may not write for (a patient writing for another) is 403, nothing written', async () => {
        const before = [await recordCount('P-FHIR-1', provider), await recordCount('P-FHIR-2', provider)];
        expectOutcome(
          await post(other, provideBundle('P-FHIR-1', [good()])),
          403,
          /^Bundle\.entry\[1\]\.resource\.subject$/,
        );
        expect([await recordCount('P-FHIR-1', provider), await recordCount('P-FHIR-2', provider)]).toEqual(before);
      });
    });
  });
});
