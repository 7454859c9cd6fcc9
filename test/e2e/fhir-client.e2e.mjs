/**
 * #15: an independent FHIR client — fhir-kit-client from npm, which nobody here wrote — drives the
 * real service (src/main.ts in a child process, on its embedded anvil chains) as an IHE MHD
 * Document Source and Document Consumer. Every resource the service returns is validated offline
 * against FHIR R4 and the MHD Minimal DocumentReference (test/support/fhir/validate.ts).
 *
 * fhir-kit-client is ESM-only with import-only `exports`; jest (ts-jest, CommonJS) cannot import it
 * without --experimental-vm-modules, so this story is an ES module run by `node --test`
 * (`npm run test:fhir-client`, part of `npm test`). The TypeScript helpers come in through
 * ts-node's require hook (`node -r ts-node/register/transpile-only`).
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import {
  actors,
  assertNoSecrets,
  client,
  BREAK_GLASS_REASON,
  MAX_UPLOAD_BYTES,
  patientId,
  pdf,
  png,
  recordCounts,
  refusal,
  retrieve,
  service,
  startService,
  stopService,
} from '../support/fhir/fhir-client-story.mjs';

const require = createRequire(import.meta.url);
const { makePng, pngOfSize } = require('../support/files.ts');
const { assertMhdDocument, assertValidFhir } = require('../support/fhir/validate.ts');
const { provideBundle } = require('../support/fhir/mhd.ts');

/** DocumentReferences the ITI-65 answer located, in submission order (PNG, PDF). */
const provided = [];

/** The page's PatientClient for a patient's token (the browser's crypto module, run in Node). */
async function patientClient(token) {
  const { PatientClient } = await import('../../src/interfaces/web/public/patient/patient-client.js');
  const { openKeyStore } = await import('../../src/interfaces/web/public/crypto/index.js');
  return new PatientClient({ baseUrl: service.baseUrl, token, keyStore: await openKeyStore() });
}

before(startService);

after(stopService);

describe('#15 fhir-kit-client drives the MHD face of the service on the embedded chains', () => {
  it('#15 capability: a valid CapabilityStatement for FHIR 4.0.1, JSON, DocumentReference search', async () => {
    const capability = await client(actors.clinic).capabilityStatement();
    assertValidFhir(capability);
    assert.equal(capability.resourceType, 'CapabilityStatement');
    assert.equal(capability.fhirVersion, '4.0.1');
    assert.ok(capability.format.some((format) => /json/.test(format)));
    const server = capability.rest.find((rest) => rest.mode === 'server');
    const documentReference = server.resource.find((resource) => resource.type === 'DocumentReference');
    assert.ok(documentReference.interaction.some((interaction) => interaction.code === 'search-type'));
    const params = documentReference.searchParam.map((param) => param.name);
    for (const name of ['patient', 'status', 'date']) assert.ok(params.includes(name), `searchParam ${name}`);
    assert.ok(server.interaction.some((interaction) => interaction.code === 'transaction'));
  });

  it('#15 ITI-65: a transaction of a PNG and a PDF answers a transaction-response, 201 and location per entry, in order', async () => {
    const before = await recordCounts();
    const bundle = provideBundle({
      patientId,
      documents: [
        { bytes: png, contentType: 'image/png', title: 'scan.png' },
        { bytes: pdf, contentType: 'application/pdf', title: 'report.pdf' },
      ],
    });
    const answer = await client(actors.clinic).transaction({ body: bundle });
    assertValidFhir(answer);
    assert.equal(answer.type, 'transaction-response');
    assert.equal(answer.entry.length, bundle.entry.length);
    for (const entry of answer.entry) {
      assert.match(entry.response.status, /^201/);
      assert.ok(entry.response.location, 'location');
    }
    // two records, on the default ledger (supchain) only
    assert.deepEqual(await recordCounts(), { supchain: before.supchain + 2, medchain: before.medchain });
    // the DocumentReference entries are 1 and 2 (after the SubmissionSet); ITI-67 finds them by id
    const ids = [1, 2].map((index) =>
      answer.entry[index].response.location
        .replace(/\/_history\/.*$/, '')
        .split('/')
        .pop(),
    );
    const found = await client(actors.clinic).search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patientId },
    });
    for (const id of ids) {
      const entry = found.entry.find((candidate) => candidate.resource.id === id);
      assert.ok(entry, `DocumentReference/${id} found`);
      provided.push(entry.resource);
    }
    assertValidFhir(found);
    assert.equal(provided[0].content[0].attachment.contentType, 'image/png');
    assert.equal(provided[1].content[0].attachment.contentType, 'application/pdf');
    assert.equal(provided[0].content[0].attachment.title, 'scan.png');
  });

  it('#15 ITI-67: find by patient + status, and by date range; searchset with total and fullUrls', async () => {
    const byStatus = await client(actors.clinic).search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patientId, status: 'current' },
    });
    assertValidFhir(byStatus);
    assert.equal(byStatus.type, 'searchset');
    assert.equal(byStatus.total, 2);
    for (const entry of byStatus.entry) assert.match(entry.fullUrl, /^https?:\/\/.+\/DocumentReference\/.+/);
    const ids = byStatus.entry.map((entry) => entry.resource.id).sort();
    assert.deepEqual(ids, provided.map((document) => document.id).sort());

    const dayBefore = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const dayAfter = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const inRange = await client(actors.clinic).search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patientId, date: [`ge${dayBefore}`, `le${dayAfter}`] },
    });
    assertValidFhir(inRange);
    assert.equal(inRange.total, 2);
    const outOfRange = await client(actors.clinic).search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patientId, date: `ge${dayAfter}` },
    });
    assertValidFhir(outOfRange);
    assert.equal(outOfRange.total, 0);
    const bySearchPost = await client(actors.clinic).search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patientId, status: 'superseded' },
      options: { postSearch: true },
    });
    assertValidFhir(bySearchPost);
    assert.equal(bySearchPost.total, 0);

    // paging: one per page, the client follows the next link
    const firstPage = await client(actors.clinic).search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patientId, _count: 1 },
    });
    assertValidFhir(firstPage);
    assert.equal(firstPage.total, 2);
    assert.equal(firstPage.entry.length, 1);
    const secondPage = await client(actors.clinic).nextPage({ bundle: firstPage });
    assertValidFhir(secondPage);
    assert.equal(secondPage.entry.length, 1);
    assert.notEqual(secondPage.entry[0].resource.id, firstPage.entry[0].resource.id);
    // an unsupported parameter is ignored and left out of the self link
    const withUnknown = await client(actors.clinic).search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patientId, 'author.given': 'x' },
    });
    assertValidFhir(withUnknown);
    assert.equal(withUnknown.total, 2);
    const self = withUnknown.link.find((link) => link.relation === 'self').url;
    assert.doesNotMatch(self, /author/);
  });

  it('#15 Patient: read and search by identifier, only what the caller may see', async () => {
    const patient = await client(actors.clinic).read({ resourceType: 'Patient', id: patientId });
    assertValidFhir(patient);
    assert.ok(patient.identifier.some((identifier) => identifier.value === patientId));
    const found = await client(actors.clinic).search({
      resourceType: 'Patient',
      searchParams: { identifier: `urn:patient-centric-emr:patient|${patientId}` },
    });
    assertValidFhir(found);
    assert.equal(found.total, 1);
    // another patient sees nothing of this one
    const hidden = await client(actors.otherPatient)
      .search({ resourceType: 'Patient', searchParams: { _id: patientId } })
      .catch((error) => JSON.parse(JSON.stringify(error.response?.data ?? {})));
    assertValidFhir(hidden);
    assert.ok(hidden.resourceType === 'OperationOutcome' || hidden.total === 0, JSON.stringify(hidden).slice(0, 200));
  });

  it('#15 ITI-68: the attachment URLs give back the original bytes and type; size and hash match', async () => {
    for (const [index, bytes] of [png, pdf].entries()) {
      const attachment = provided[index].content[0].attachment;
      assert.match(attachment.url, /^https?:\/\//);
      const response = await retrieve(attachment.url, actors.clinic);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type').split(';')[0], attachment.contentType);
      const body = Buffer.from(await response.arrayBuffer());
      assert.ok(body.equals(bytes), 'bytes');
      assertMhdDocument(provided[index], body);
    }
  });

  it('#15 ITI-68: a Range request answers 206 with that slice; an Accept it cannot meet is 406', async () => {
    const { url } = provided[0].content[0].attachment;
    const partial = await retrieve(url, actors.clinic, { Range: 'bytes=10-49' });
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get('content-range'), `bytes 10-49/${png.length}`);
    assert.ok(Buffer.from(await partial.arrayBuffer()).equals(png.subarray(10, 50)));
    const refused = await retrieve(url, actors.clinic, { Accept: 'text/csv' });
    assert.equal(refused.status, 406);
  });

  it('#15 Consent and AuditEvent searches after a consented read and a break-glass read', async () => {
    const { url } = provided[0].content[0].attachment;
    // the hospital has no consent: refused, then a break-glass read, then the patient's consent and a read
    assert.equal((await retrieve(url, actors.hospital)).status, 403);
    const emergency = await retrieve(url, actors.hospital, { 'X-Break-Glass-Reason': BREAK_GLASS_REASON });
    assert.equal(emergency.status, 200);
    // #14: a consent is the patient's signature, made in the browser's client module: keys first, then the grant.
    const patient = await patientClient(actors.patient);
    await patient.registerKeys();
    const granted = await patient.grantConsent('city-hospital');
    assert.equal(granted.active, true);
    assert.deepEqual([...granted.chains].sort(), ['medchain', 'supchain']);
    const consented = await retrieve(url, actors.hospital);
    assert.equal(consented.status, 200);
    assert.ok(Buffer.from(await consented.arrayBuffer()).equals(png));

    const consents = await client(actors.patient).search({
      resourceType: 'Consent',
      searchParams: { patient: patientId },
    });
    assertValidFhir(consents);
    assert.equal(consents.type, 'searchset');
    const consent = consents.entry.map((entry) => entry.resource).find((resource) => resource.status === 'active');
    assert.ok(consent, 'an active Consent');
    assert.ok(consent.scope.coding.some((coding) => coding.code === 'patient-privacy'));
    assert.match(consent.patient.reference, new RegExp(`Patient/${patientId}$`));
    const actorsText = JSON.stringify(consent.provision.actor);
    assert.match(actorsText, /city-hospital/);
    assert.ok(consent.provision.period.start);

    const audit = await client(actors.patient).search({
      resourceType: 'AuditEvent',
      searchParams: { patient: patientId },
    });
    assertValidFhir(audit);
    const events = audit.entry.map((entry) => entry.resource);
    const byHospital = events.filter((event) => JSON.stringify(event.agent).includes('city-hospital'));
    assert.ok(byHospital.length >= 2, 'the break-glass and the consented read');
    const purposes = (event) => event.agent.flatMap((agent) => agent.purposeOfUse ?? []).flatMap((p) => p.coding ?? []);
    const emergencies = byHospital.filter((event) => purposes(event).some((c) => ['ETREAT', 'BTG'].includes(c.code)));
    assert.equal(emergencies.length, 1, 'one emergency read');
    for (const event of byHospital) {
      assert.equal(event.type.code, 'rest');
      assert.ok(['R', 'E'].includes(event.action));
      assert.ok(event.recorded);
      assert.ok(JSON.stringify(event.entity).includes(patientId), 'entity: the patient');
    }
  });
});

describe('#15 ITI-65 bad input: an OperationOutcome with the REST status, naming the entry, nothing written on either ledger', () => {
  const good = () => ({ bytes: makePng(8, 8, 3), contentType: 'image/png', title: 'ok.png' });
  const cases = [
    ['a Bundle of type batch', 400, () => provideBundle({ patientId, type: 'batch', documents: [good()] })],
    ['no SubmissionSet', 400, () => provideBundle({ patientId, withoutSubmissionSet: true, documents: [good()] })],
    [
      'a DocumentReference whose Binary is missing',
      400,
      () => provideBundle({ patientId, documents: [good(), { ...good(), withoutBinary: true }] }),
    ],
    [
      'a hash that does not match',
      400,
      () => provideBundle({ patientId, documents: [good(), { ...good(), hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }] }),
    ],
    [
      'an unsupported media type',
      415,
      () =>
        provideBundle({
          patientId,
          documents: [good(), { bytes: Buffer.from('name,dob\n'), contentType: 'text/csv', title: 'list.csv' }],
        }),
    ],
    [
      'an oversize document',
      413,
      () =>
        provideBundle({
          patientId,
          documents: [good(), { bytes: pngOfSize(MAX_UPLOAD_BYTES + 1), contentType: 'image/png', title: 'big.png' }],
        }),
    ],
  ];
  for (const [name, status, build] of cases) {
    it(`#15 ${name}: ${status}`, async () => {
      const before = await recordCounts();
      const { status: answered, outcome } = await refusal(() => client(actors.clinic).transaction({ body: build() }));
      assert.equal(answered, status);
      assert.ok(outcome.issue.some((issue) => issue.severity === 'error' || issue.severity === 'fatal'));
      assert.ok(outcome.issue.every((issue) => issue.code && issue.diagnostics !== undefined));
      if (name !== 'a Bundle of type batch') {
        assert.ok(
          outcome.issue.some((issue) => (issue.expression ?? []).some((path) => /^Bundle\.entry/.test(path))),
          `expression names the entry: ${JSON.stringify(outcome.issue)}`,
        );
      }
      assert.deepEqual(await recordCounts(), before);
    });
  }

  it('#15 a patient the caller may not write for: 403, nothing written', async () => {
    const before = await recordCounts();
    const { status, outcome } = await refusal(() =>
      client(actors.otherPatient).transaction({ body: provideBundle({ patientId, documents: [good()] }) }),
    );
    assert.equal(status, 403);
    assert.ok(outcome.issue.some((issue) => ['forbidden', 'security'].includes(issue.code)));
    assert.deepEqual(await recordCounts(), before);
  });
});

describe('#15 what the service wrote out', () => {
  it('#15 no token, patient id or break-glass reason in the service output after everything above', () => {
    assertNoSecrets(service.logs(), "the service's output");
  });
});
