import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider } from '../support/actors';
import { TestApp } from '../support/app';
import { makePng } from '../support/files';
import { assertMhdDocument, assertValidFhir } from '../support/fhir/validate';
import { Ledgers } from '../../src/domain/ledgers';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import {
  BREAK_GLASS_PER_HOUR,
  expectOutcome,
  FHIR,
  FHIR_JSON,
  FhirApp,
  FhirJson,
  LEDGER,
  postFhir,
  provideBundle,
  provideSampleDocuments,
  SAMPLE_PNG,
  sha1,
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

  const post = (actor: Actor, body: unknown, query = '') => postFhir(server, actor, body, query);

  describe('ITI-67 Find Document References', () => {
    const png = SAMPLE_PNG;
    let pngId: string;
    let pdfId: string;
    let uploadedAt: Date;

    beforeAll(async () => {
      ({ pngId, pdfId, uploadedAt } = await provideSampleDocuments(fhirApp));
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
  });
});
