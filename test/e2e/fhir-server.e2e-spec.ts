import { createHash } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makePdf, makePng, pngOfSize } from '../support/files';
import { assertMhdDocument, assertValidFhir } from '../support/fhir/validate';
import { Ledgers } from '../../src/domain/ledgers';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';

/** A resource read back from JSON, walked field by field in the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted by shape
type FhirJson = any;

const FHIR = '/fhir/R4';
/** Small, so an oversize document is cheap to send. */
const MAX_UPLOAD_BYTES = 256 * 1024;
/** The default BREAK_GLASS_PER_HOUR. */
const BREAK_GLASS_PER_HOUR = 10;
const FHIR_JSON = /^application\/fhir\+json/;
const LEDGER = 'https://patient-centric-emr.example/fhir/StructureDefinition/ledger';

const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('base64');

interface DocumentSpec {
  bytes: Buffer;
  contentType: string;
  title: string;
  /** Put the bytes in a Binary entry (default) or in attachment.data. */
  binary?: boolean;
  hash?: string;
  size?: number;
  patient?: string;
  type?: { system: string; code: string };
  masterIdentifier?: string;
}

/** An ITI-65 Provide Document Bundle: SubmissionSet, then each DocumentReference (and its Binary). */
function provideBundle(patientId: string, documents: DocumentSpec[], extra: Record<string, unknown> = {}) {
  const entry: unknown[] = [
    {
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      resource: {
        resourceType: 'List',
        meta: { profile: ['https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.SubmissionSet'] },
        status: 'current',
        mode: 'working',
        code: {
          coding: [{ system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' }],
        },
        subject: { reference: `Patient/${patientId}` },
      },
      request: { method: 'POST', url: 'List' },
    },
  ];
  documents.forEach((document, index) => {
    const binaryUrl = `urn:uuid:00000000-0000-4000-8000-1000000000${String(index).padStart(2, '0')}`;
    const attachment: Record<string, unknown> = { contentType: document.contentType, title: document.title };
    if (document.binary === false) attachment.data = document.bytes.toString('base64');
    else attachment.url = binaryUrl;
    if (document.hash !== undefined) attachment.hash = document.hash;
    if (document.size !== undefined) attachment.size = document.size;
    entry.push({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-2000000000${String(index).padStart(2, '0')}`,
      resource: {
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: `Patient/${document.patient ?? patientId}` },
        ...(document.type ? { type: { coding: [document.type] } } : {}),
        ...(document.masterIdentifier
          ? { masterIdentifier: { use: 'usual', system: 'urn:ietf:rfc:3986', value: document.masterIdentifier } }
          : {}),
        content: [{ attachment }],
      },
      request: { method: 'POST', url: 'DocumentReference' },
    });
    if (document.binary !== false) {
      entry.push({
        fullUrl: binaryUrl,
        resource: {
          resourceType: 'Binary',
          contentType: document.contentType,
          data: document.bytes.toString('base64'),
        },
        request: { method: 'POST', url: 'Binary' },
      });
    }
  });
  return { resourceType: 'Bundle', type: 'transaction', entry, ...extra };
}

describe('#15 FHIR R4 face (in-memory ledgers)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  let stranger: Actor;
  let patient: Actor;
  let other: Actor;

  beforeAll(async () => {
    testApp = await createTestApp({
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      BREAK_GLASS_PER_HOUR: String(BREAK_GLASS_PER_HOUR),
    });
    server = testApp.app.getHttpServer();
    provider = await createProvider(server, testApp.adminToken, 'dr-fhir');
    stranger = await createProvider(server, testApp.adminToken, 'dr-stranger');
    patient = await enrollPatient(server, provider, 'P-FHIR-1');
    other = await enrollPatient(server, provider, 'P-FHIR-2');
  });

  afterAll(async () => {
    await testApp.close();
  });

  const post = (actor: Actor, body: unknown, query = '') =>
    request(server)
      .post(`${FHIR}${query}`)
      .set(actor.auth)
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify(body));

  async function recordCount(patientId: string, reader: Actor): Promise<number> {
    let total = 0;
    for (const chain of ['supchain', 'medchain']) {
      const response = await request(server)
        .get(`/api/v1/patients/${patientId}/records`)
        .query({ chain, limit: 100 })
        .set(reader.auth)
        .expect(200);
      total += response.body.items.length;
    }
    return total;
  }

  function expectOutcome(response: request.Response, status: number, expression?: string | RegExp) {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(FHIR_JSON);
    expect(response.body.resourceType).toBe('OperationOutcome');
    assertValidFhir(response.body);
    const [issue] = response.body.issue;
    expect(issue.severity).toBe('error');
    expect(typeof issue.diagnostics).toBe('string');
    if (expression !== undefined) expect(issue.expression?.[0]).toMatch(expression);
  }

  describe('metadata and errors', () => {
    it('#15 GET metadata is a CapabilityStatement (JSON only, MHD Recipient and Responder)', async () => {
      const response = await request(server).get(`${FHIR}/metadata`).expect(200);
      assertValidFhir(response.body);
      expect(response.headers['content-type']).toMatch(FHIR_JSON);
      expect(response.body).toMatchObject({
        resourceType: 'CapabilityStatement',
        fhirVersion: '4.0.1',
        kind: 'instance',
      });
      expect(response.body.format).toEqual(['application/fhir+json', 'json']);
      const types = response.body.rest[0].resource.map((resource: { type: string }) => resource.type);
      expect(types).toEqual(expect.arrayContaining(['DocumentReference', 'Patient', 'Consent', 'AuditEvent']));
      expect(response.body.instantiates).toEqual(
        expect.arrayContaining([expect.stringContaining('IHE.MHD.DocumentRecipient')]),
      );
    });

    it('#15 XML is refused: _format=xml and Accept fhir+xml are 406, an XML body 415, all OperationOutcomes', async () => {
      expectOutcome(await request(server).get(`${FHIR}/metadata?_format=xml`), 406, '_format');
      expectOutcome(await request(server).get(`${FHIR}/metadata`).set('Accept', 'application/fhir+xml'), 406, 'Accept');
      expectOutcome(
        await request(server)
          .post(FHIR)
          .set(provider.auth)
          .set('Content-Type', 'application/fhir+xml')
          .send('<Bundle xmlns="http://hl7.org/fhir"/>'),
        415,
        'Content-Type',
      );
    });

    it('#15 no token is 401, an unknown FHIR path 404, a bad or too deeply nested JSON body 400 — OperationOutcomes', async () => {
      const unauthenticated = await request(server).get(`${FHIR}/DocumentReference?patient=P-FHIR-1`);
      expectOutcome(unauthenticated, 401);
      expect(unauthenticated.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      expectOutcome(await request(server).get(`${FHIR}/Observation`).set(provider.auth), 404);
      expectOutcome(
        await request(server).post(FHIR).set(provider.auth).set('Content-Type', 'application/fhir+json').send('{"a":'),
        400,
      );
      // A Bundle that would be written but for a 100-deep element.
      const deep = JSON.parse('{"a":'.repeat(100) + '1' + '}'.repeat(100));
      const before = await recordCount('P-FHIR-1', provider);
      const nested = await post(
        provider,
        provideBundle('P-FHIR-1', [{ bytes: makePng(4, 4, 4), contentType: 'image/png', title: 'deep.png' }], {
          meta: { extension: [{ url: 'urn:x', valueString: 'x', deep }] },
        }),
      );
      expectOutcome(nested, 400);
      expect(nested.body.issue[0].diagnostics).toMatch(/nested deeper/);
      expect(await recordCount('P-FHIR-1', provider)).toBe(before);
    });
  });

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

  describe('ITI-67, ITI-68, Patient, Consent, AuditEvent', () => {
    const png = makePng(24, 24, 11);
    const pdf = makePdf();
    let pngId: string;
    let pdfId: string;
    let uploadedAt: Date;

    beforeAll(async () => {
      patient = await enrollPatient(server, provider, 'P-FHIR-3');
      uploadedAt = new Date();
      const response = await post(
        provider,
        provideBundle('P-FHIR-3', [
          {
            bytes: png,
            contentType: 'image/png',
            title: 'chest.png',
            type: { system: 'http://loinc.org', code: '18748-4' },
          },
          {
            bytes: pdf,
            contentType: 'application/pdf',
            title: 'letter.pdf',
            binary: false,
            masterIdentifier: 'urn:oid:2.25.31415926',
          },
        ]),
        '?chain=medchain',
      ).expect(200);
      pngId = response.body.entry[1].response.location.split('/')[1];
      pdfId = response.body.entry[3].response.location.split('/')[1];
    });

    const search = (actor: Actor, query: string) =>
      request(server).get(`${FHIR}/DocumentReference?${query}`).set(actor.auth);

    it('#15 ITI-67 by patient + status: a searchset with total, fullUrls and MHD DocumentReference fields', async () => {
      const response = await search(provider, 'patient=Patient/P-FHIR-3&status=current').expect(200);
      assertValidFhir(response.body);
      expect(response.headers['content-type']).toMatch(FHIR_JSON);
      expect(response.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 2 });
      const byId = new Map(
        response.body.entry.map((entry: { resource: { id: string } }) => [entry.resource.id, entry]),
      );
      const entry = byId.get(pngId) as { fullUrl: string; resource: FhirJson };
      expect(entry.fullUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/fhir/R4/DocumentReference/${pngId}$`));
      const document = entry.resource;
      expect(document).toMatchObject({
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: 'Patient/P-FHIR-3' },
        author: [{ identifier: { value: 'dr-fhir' } }],
        type: { coding: [{ system: 'http://loinc.org', code: '18748-4' }] },
        extension: [{ url: LEDGER, valueCode: 'medchain' }],
      });
      expect(document.masterIdentifier.value).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(new Date(document.date).getTime()).toBeGreaterThanOrEqual(uploadedAt.getTime() - 1000);
      const attachment = document.content[0].attachment;
      expect(attachment).toMatchObject({
        contentType: 'image/png',
        size: png.length,
        hash: sha1(png),
        title: 'chest.png',
      });
      expect(attachment.url).toMatch(new RegExp(`/fhir/R4/documents/P-FHIR-3/0x${pngId}$`));
      assertMhdDocument(document, png);
      expect(byId.has(pdfId)).toBe(true);

      const none = await search(provider, 'patient=P-FHIR-3&status=superseded').expect(200);
      expect(none.body.total).toBe(0);
    });

    it('#15 ITI-67 by date range, type, identifier, patient.identifier and POST _search; unsupported parameters left out of self', async () => {
      const day = uploadedAt.toISOString().slice(0, 10);
      const inRange = await search(provider, `patient=P-FHIR-3&date=ge${day}&date=le${day}&foo=bar`).expect(200);
      expect(inRange.body.total).toBe(2);
      const self = inRange.body.link.find((link: { relation: string }) => link.relation === 'self').url as string;
      expect(self).toContain('date=ge');
      expect(self).not.toContain('foo');
      const before = await search(provider, `patient=P-FHIR-3&date=lt${day}`).expect(200);
      expect(before.body.total).toBe(0);
      const byType = await search(
        provider,
        `patient.identifier=${encodeURIComponent('urn:patient-centric-emr:patient|P-FHIR-3')}&type=${encodeURIComponent('http://loinc.org|18748-4')}`,
      ).expect(200);
      expect(byType.body.entry.map((entry: { resource: { id: string } }) => entry.resource.id)).toEqual([pngId]);
      const byUniqueId = await search(
        provider,
        `patient=P-FHIR-3&identifier=${encodeURIComponent('urn:ietf:rfc:3986|urn:oid:2.25.31415926')}`,
      ).expect(200);
      expect(byUniqueId.body.entry.map((entry: { resource: { id: string } }) => entry.resource.id)).toEqual([pdfId]);
      expect(byUniqueId.body.entry[0].resource.masterIdentifier).toEqual({
        use: 'usual',
        system: 'urn:ietf:rfc:3986',
        value: 'urn:oid:2.25.31415926',
      });
      const byRecordId = await search(
        provider,
        `patient=P-FHIR-3&identifier=${encodeURIComponent(`urn:patient-centric-emr:record|0x${pngId}`)}`,
      ).expect(200);
      expect(byRecordId.body.entry.map((entry: { resource: { id: string } }) => entry.resource.id)).toEqual([pngId]);
      const posted = await request(server)
        .post(`${FHIR}/DocumentReference/_search`)
        .set(provider.auth)
        .type('form')
        .send({ patient: 'P-FHIR-3', creation: `ge${day}` })
        .expect(200);
      expect(posted.body.total).toBe(2);
    });

    it('#15 ITI-67 pages with _count and next links', async () => {
      const first = await search(provider, 'patient=P-FHIR-3&_count=1').expect(200);
      expect(first.body.total).toBe(2);
      expect(first.body.entry).toHaveLength(1);
      const next = first.body.link.find((link: { relation: string }) => link.relation === 'next').url as string;
      const second = await request(server)
        .get(new URL(next).pathname + new URL(next).search)
        .set(provider.auth)
        .expect(200);
      expect(second.body.entry).toHaveLength(1);
      expect(second.body.entry[0].resource.id).not.toBe(first.body.entry[0].resource.id);
      expect(second.body.link.some((link: { relation: string }) => link.relation === 'next')).toBe(false);
    });

    it('#15 ITI-67 without a patient is 400; a provider without consent sees only its own uploads', async () => {
      expectOutcome(await search(provider, 'status=current'), 400, 'patient');
      const response = await search(stranger, 'patient=P-FHIR-3').expect(200);
      expect(response.body.total).toBe(0);
    });

    it('#15 ITI-67 with a break-glass reason lists both ledgers for one emergency read of the hourly budget', async () => {
      const medic = await createProvider(server, testApp.adminToken, 'dr-emergency');
      const searchInEmergency = () =>
        search(medic, 'patient=P-FHIR-3').set('X-Break-Glass-Reason', 'unconscious patient in the emergency room');
      for (let read = 1; read <= BREAK_GLASS_PER_HOUR; read += 1) {
        const response = await searchInEmergency();
        expect(response.status).toBe(200);
        expect(response.body.total).toBe(2);
      }
      const over = await searchInEmergency();
      expectOutcome(over, 429);
      expect(over.headers['retry-after']).toMatch(/^\d+$/);
    });

    it('#15 a ledger down: ITI-65 to it is 503 with Retry-After; ITI-67 lists the other ledger; both down is 503', async () => {
      const ledgers = testApp.app.get(Ledgers);
      const supchain = ledgers.get('supchain') as InMemoryEmrRepository;
      const medchain = ledgers.get('medchain') as InMemoryEmrRepository;
      try {
        supchain.setReachable(false);
        const refused = await post(
          provider,
          provideBundle('P-FHIR-3', [{ bytes: makePng(5, 5, 5), contentType: 'image/png', title: 'down.png' }]),
          '?chain=supchain',
        );
        expectOutcome(refused, 503);
        expect(refused.body.issue[0].code).toBe('transient');
        expect(refused.headers['retry-after']).toMatch(/^\d+$/);
        const listed = await search(provider, 'patient=P-FHIR-3').expect(200);
        expect(listed.body.total).toBe(2); // both on medchain
        medchain.setReachable(false);
        expectOutcome(await search(provider, 'patient=P-FHIR-3'), 503);
      } finally {
        supchain.setReachable(true);
        medchain.setReachable(true);
      }
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

    it('#15 Patient read and search show only what the caller may see', async () => {
      const read = await request(server).get(`${FHIR}/Patient/P-FHIR-3`).set(provider.auth).expect(200);
      assertValidFhir(read.body);
      expect(read.body).toMatchObject({
        resourceType: 'Patient',
        id: 'P-FHIR-3',
        identifier: [{ system: 'urn:patient-centric-emr:patient', value: 'P-FHIR-3' }],
      });
      await request(server).get(`${FHIR}/Patient/P-FHIR-3`).set(patient.auth).expect(200);
      expectOutcome(await request(server).get(`${FHIR}/Patient/P-FHIR-1`).set(patient.auth), 403);
      expectOutcome(await request(server).get(`${FHIR}/Patient/P-NOBODY`).set(provider.auth), 404);
      const own = await request(server).get(`${FHIR}/Patient`).set(patient.auth).expect(200);
      assertValidFhir(own.body);
      expect(own.body.entry.map((entry: { resource: { id: string } }) => entry.resource.id)).toEqual(['P-FHIR-3']);
      const hidden = await request(server).get(`${FHIR}/Patient?identifier=P-FHIR-1`).set(patient.auth).expect(200);
      expect(hidden.body.total).toBe(0);
      const named = await request(server).get(`${FHIR}/Patient?_id=P-FHIR-1`).set(provider.auth).expect(200);
      expect(named.body.total).toBe(1);
    });

    it('#15 Consent and AuditEvent searches after a consented read and a break-glass read', async () => {
      await request(server)
        .post('/api/v1/patients/P-FHIR-3/consents')
        .set(patient.auth)
        .send({ providerId: 'dr-stranger' })
        .expect(201);
      await request(server).get(`${FHIR}/documents/P-FHIR-3/0x${pngId}`).set(stranger.auth).expect(200);

      const consents = await request(server)
        .get(`${FHIR}/Consent?patient=Patient/P-FHIR-3`)
        .set(patient.auth)
        .expect(200);
      expect(consents.body.total).toBe(1);
      assertValidFhir(consents.body);
      expect(consents.body.entry[0].resource).toMatchObject({
        resourceType: 'Consent',
        status: 'active',
        scope: { coding: [{ code: 'patient-privacy' }] },
        patient: { reference: 'Patient/P-FHIR-3' },
        provision: { actor: [{ reference: { identifier: { value: 'dr-stranger' } } }] },
      });
      expect(consents.body.entry[0].resource.provision.period.start).toEqual(expect.any(String));
      expectOutcome(await request(server).get(`${FHIR}/Consent?patient=P-FHIR-3`).set(provider.auth), 403);

      const audit = await request(server).get(`${FHIR}/AuditEvent?patient=P-FHIR-3`).set(patient.auth).expect(200);
      assertValidFhir(audit.body);
      const events = audit.body.entry.map((entry: { resource: FhirJson }) => entry.resource);
      const reads = events.filter((event: FhirJson) => event.subtype[0].code === 'read');
      const emergency = reads.find((event: FhirJson) =>
        event.agent.some((agent: FhirJson) => agent.purposeOfUse?.[0].coding.some((c: FhirJson) => c.code === 'BTG')),
      );
      expect(emergency).toMatchObject({
        type: { code: 'rest' },
        action: 'R',
        entity: [{ what: { reference: 'Patient/P-FHIR-3' } }, { what: { reference: `DocumentReference/${pdfId}` } }],
      });
      expect(emergency.purposeOfEvent[0].coding.map((c: FhirJson) => c.code)).toEqual(['ETREAT', 'BTG']);
      const consented = reads.find(
        (event: FhirJson) =>
          event.entity[1]?.what.reference === `DocumentReference/${pngId}` &&
          event.agent[2].who.identifier?.value === 'dr-stranger',
      );
      expect(consented.agent[2].purposeOfUse[0].coding[0].code).toBe('TREAT');
      expect(events.some((event: FhirJson) => event.subtype[0].code === 'search')).toBe(true);
      expectOutcome(await request(server).get(`${FHIR}/AuditEvent?patient=P-FHIR-3`).set(provider.auth), 403);
    });
  });
});

function binary(response: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}
