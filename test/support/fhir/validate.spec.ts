import { createHash } from 'node:crypto';
import { makePdf, makePng } from '../files';
import { assertMhdDocument, assertValidFhir, mhdMinimalDocumentReferenceIssues, r4Issues } from './validate';

const png = makePng(2, 2);

/** A DocumentReference as MHD Minimal wants it, for `bytes`; loosely typed, as the tests break it on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hand-broken JSON, not a typed resource
function documentReference(bytes: Buffer = png): Record<string, any> {
  return {
    resourceType: 'DocumentReference',
    id: 'doc-1',
    masterIdentifier: { use: 'usual', system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.25.1234' },
    status: 'current',
    subject: { reference: 'Patient/P-1001' },
    date: '2026-12-03T12:00:00Z',
    author: [{ reference: 'Practitioner/st-mary-radiology' }],
    content: [
      {
        attachment: {
          contentType: 'image/png',
          url: 'http://127.0.0.1:3000/fhir/R4/Binary/0xabc',
          size: bytes.length,
          hash: createHash('sha1').update(bytes).digest('base64'),
          title: 'scan.png',
        },
      },
    ],
  };
}

function paths(issues: { path: string }[]): string[] {
  return issues.map((issue) => issue.path);
}

describe('#15 offline FHIR R4 validation (Medplum over the R4 definitions)', () => {
  it('#15 accepts a valid DocumentReference, OperationOutcome, Consent and searchset Bundle', () => {
    expect(r4Issues(documentReference())).toEqual([]);
    expect(
      r4Issues({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'invalid', diagnostics: 'no SubmissionSet', expression: ['Bundle.entry'] }],
      }),
    ).toEqual([]);
    expect(
      r4Issues({
        resourceType: 'Consent',
        status: 'active',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { reference: 'Patient/P-1001' },
        policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
        provision: { period: { start: '2026-12-03T12:00:00Z' } },
      }),
    ).toEqual([]);
    expect(
      r4Issues({
        resourceType: 'Bundle',
        type: 'searchset',
        total: 1,
        entry: [{ fullUrl: 'http://127.0.0.1:3000/fhir/R4/DocumentReference/doc-1', resource: documentReference() }],
      }),
    ).toEqual([]);
  });

  it('#15 finds a missing required element, a wrong JSON type, a list where one value goes and an unknown element', () => {
    const { status: _status, ...noStatus } = documentReference();
    expect(paths(r4Issues(noStatus))).toContain('DocumentReference.status');
    const sizeAsText = documentReference();
    sizeAsText.content[0].attachment.size = '12';
    expect(paths(r4Issues(sizeAsText))).toContain('DocumentReference.content[0].attachment.size');
    expect(paths(r4Issues({ ...documentReference(), subject: [{ reference: 'Patient/P-1001' }] }))).toContain(
      'DocumentReference.subject',
    );
    expect(paths(r4Issues({ ...documentReference(), ledger: 'supchain' }))).toContain('DocumentReference.ledger');
    expect(paths(r4Issues({ ...documentReference(), date: 'yesterday' }))).toContain('DocumentReference.date');
  });

  it('#15 finds a code outside a required value set, an invariant broken and errors inside Bundle entries', () => {
    expect(paths(r4Issues({ ...documentReference(), status: 'final' }))).toEqual(['DocumentReference.status']);
    expect(paths(r4Issues({ resourceType: 'Bundle', type: 'search-results' }))).toEqual(['Bundle.type']);
    const consentWithoutPolicy = {
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ code: 'patient-privacy' }] },
      category: [{ coding: [{ code: '59284-0' }] }],
    };
    expect(
      r4Issues(consentWithoutPolicy)
        .map((issue) => issue.message)
        .join(),
    ).toMatch(/ppc-1/);
    const { content: _content, ...noContent } = documentReference();
    expect(paths(r4Issues({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: noContent }] }))).toContain(
      'Bundle.entry[0].resource.content',
    );
    expect(
      paths(
        r4Issues({ resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201' } }] }),
      ),
    ).toEqual([]);
    expect(r4Issues({ id: 'x' })).toHaveLength(1);
  });
});

describe('#15 MHD Minimal DocumentReference', () => {
  it('#15 accepts a complete one whose size and hash match the bytes', () => {
    expect(mhdMinimalDocumentReferenceIssues(documentReference(), png)).toEqual([]);
    expect(() => assertMhdDocument(documentReference(), png)).not.toThrow();
  });

  it('#15 names each missing or forbidden element', () => {
    const broken = documentReference();
    delete broken.masterIdentifier;
    delete broken.content[0].attachment.contentType;
    delete broken.content[0].attachment.url;
    broken.content[0].attachment.data = png.toString('base64');
    broken.docStatus = 'final';
    broken.subject = { reference: 'Practitioner/x' };
    expect(paths(mhdMinimalDocumentReferenceIssues(broken)).sort()).toEqual(
      [
        'DocumentReference.masterIdentifier',
        'DocumentReference.content[0].attachment.contentType',
        'DocumentReference.content[0].attachment.url',
        'DocumentReference.content[0].attachment.data',
        'DocumentReference.docStatus',
        'DocumentReference.subject',
      ].sort(),
    );
    expect(paths(mhdMinimalDocumentReferenceIssues({ ...documentReference(), content: [] }))).toEqual([
      'DocumentReference.content',
    ]);
    expect(
      paths(
        mhdMinimalDocumentReferenceIssues({
          ...documentReference(),
          status: 'entered-in-error',
          masterIdentifier: { system: 'urn:ietf:rfc:3986', value: '' },
        }),
      ),
    ).toEqual([
      'DocumentReference.masterIdentifier.use',
      'DocumentReference.masterIdentifier.value',
      'DocumentReference.status',
    ]);
  });

  it('#15 finds a size or hash that does not match the retrieved bytes', () => {
    const pdf = makePdf();
    expect(paths(mhdMinimalDocumentReferenceIssues(documentReference(), pdf))).toEqual([
      'DocumentReference.content[0].attachment.size',
      'DocumentReference.content[0].attachment.hash',
    ]);
    const sha256 = documentReference();
    sha256.content[0].attachment.hash = createHash('sha256').update(png).digest('base64');
    expect(paths(mhdMinimalDocumentReferenceIssues(sha256, png))).toEqual([
      'DocumentReference.content[0].attachment.hash',
    ]);
    expect(() => assertMhdDocument(documentReference(), pdf)).toThrow(/attachment\.hash/);
  });

  it('#15 assertValidFhir applies MHD Minimal to the DocumentReferences inside a Bundle', () => {
    const withData = documentReference();
    withData.content[0].attachment.data = png.toString('base64');
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: documentReference() }, { resource: withData }],
    };
    expect(() => assertValidFhir(bundle)).toThrow(/Bundle\.entry\[1\]\.resource\.content\[0\]\.attachment\.data/);
    expect(() => assertValidFhir({ ...bundle, entry: [bundle.entry[0]] })).not.toThrow();
  });
});
