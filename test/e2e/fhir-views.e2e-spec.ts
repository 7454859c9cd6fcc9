import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import { makePng } from '../support/files';
import { assertValidFhir } from '../support/fhir/validate';
import { TestPatient } from '../support/patient-keys';
import {
  binary,
  countRecords,
  expectOutcome,
  FHIR,
  FHIR_JSON,
  FhirApp,
  FhirJson,
  postFhir,
  provideBundle,
  provideSampleDocuments,
  startFhirApp,
} from '../support/fhir/fhir-app';

describe('#15 FHIR R4 face (in-memory ledgers)', () => {
  let fhirApp: FhirApp;
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  let stranger: Actor;
  let patient: Actor;

  beforeAll(async () => {
    fhirApp = await startFhirApp();
    ({ testApp, server, provider, stranger } = fhirApp);
  });

  afterAll(async () => {
    await testApp.close();
  });

  const post = (actor: Actor, body: unknown, query = '') => postFhir(server, actor, body, query);

  const recordCount = (patientId: string, reader: Actor) => countRecords(server, patientId, reader);

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

  describe('Patient, Consent, AuditEvent', () => {
    let pngId: string;
    let pdfId: string;

    beforeAll(async () => {
      ({ patient, pngId, pdfId } = await provideSampleDocuments(fhirApp));
    });

    // The AuditEvent test looks for a DocumentReference search and dr-stranger's break-glass read of the PDF;
    // run as one story, the ITI-67 and ITI-68 tests made them first.
    beforeAll(async () => {
      await request(server).get(`${FHIR}/DocumentReference?patient=P-FHIR-3`).set(provider.auth).expect(200);
      await request(server)
        .get(`${FHIR}/documents/P-FHIR-3/0x${pdfId}`)
        .set(stranger.auth)
        .set('X-Break-Glass-Reason', 'unconscious patient in the emergency room')
        .buffer(true)
        .parse(binary)
        .expect(200);
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
      // #14: consent is signed with the patient's own keys, registered from "the browser".
      const keys = await TestPatient.register(server, patient);
      expect((await keys.grant(server, 'dr-stranger')).status).toBe(201);
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
