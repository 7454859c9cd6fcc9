import { FhirElementError } from './operation-outcome.filter';
import { LEDGER_EXTENSION } from './fhir-constants';
import { readProvideBundle } from './provide-bundle';

const bytes = Buffer.from('%PDF-1.4 any bytes will do here %%EOF');

function bundle(
  reference: Record<string, unknown>,
  binary?: Record<string, unknown>,
  list: Record<string, unknown> = {},
) {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: { resourceType: 'List', subject: { reference: 'Patient/P-1' }, ...list },
        request: { method: 'POST' },
      },
      {
        resource: { resourceType: 'DocumentReference', subject: { reference: 'Patient/P-1' }, ...reference },
        request: { method: 'POST' },
      },
      ...(binary ? [{ resource: { resourceType: 'Binary', ...binary }, request: { method: 'POST' } }] : []),
    ],
  };
}

function refusal(body: unknown, chain?: string): string {
  try {
    readProvideBundle(body, chain);
  } catch (error) {
    if (error instanceof FhirElementError) return error.expression;
    throw error;
  }
  throw new Error('accepted');
}

describe('readProvideBundle (ITI-65)', () => {
  it('#15 takes the bytes from a Binary named Binary/<id>, and base64 broken over lines', () => {
    const wrapped = bytes.toString('base64').replace(/(.{8})/g, '$1\n');
    const read = readProvideBundle(
      bundle(
        { content: [{ attachment: { url: 'Binary/b1', title: 'a.pdf' } }] },
        { id: 'b1', contentType: 'application/pdf', data: wrapped },
      ),
      undefined,
    );
    expect(Buffer.from(read.documents[0].bytes).equals(bytes)).toBe(true);
    expect(read.documents[0]).toMatchObject({
      entryIndex: 1,
      binaryIndex: 2,
      patientId: 'P-1',
      claimedType: 'application/pdf',
      chain: 'supchain',
    });
  });

  it('#15 the ledger: the DocumentReference extension, else the List extension, else ?chain=, else supchain', () => {
    const data = { content: [{ attachment: { data: bytes.toString('base64') } }] };
    const ledger = (valueCode: string) => ({ extension: [{ url: LEDGER_EXTENSION, valueCode }] });
    expect(readProvideBundle(bundle(data), undefined).documents[0].chain).toBe('supchain');
    expect(readProvideBundle(bundle(data), 'medchain').documents[0].chain).toBe('medchain');
    expect(readProvideBundle(bundle(data, undefined, ledger('both')), 'medchain').documents[0].chain).toBe('both');
    expect(
      readProvideBundle(bundle({ ...data, ...ledger('medchain') }, undefined, ledger('both')), undefined).documents[0]
        .chain,
    ).toBe('medchain');
  });

  it('#15 refusals name the element: bad base64, a short hash, a missing Binary, a non-POST entry', () => {
    expect(refusal(bundle({ content: [{ attachment: { data: 'not base64!' } }] }))).toBe(
      'Bundle.entry[1].resource.content[0].attachment.data',
    );
    expect(refusal(bundle({ content: [{ attachment: { data: 'AAAA', hash: 'AAAA' } }] }))).toBe(
      'Bundle.entry[1].resource.content[0].attachment.hash',
    );
    expect(refusal(bundle({ content: [{ attachment: { url: 'urn:uuid:gone' } }] }))).toBe(
      'Bundle.entry[1].resource.content[0].attachment.url',
    );
    const put = bundle({ content: [{ attachment: { data: 'AAAA' } }] });
    (put.entry[1] as { request: { method: string } }).request.method = 'PUT';
    expect(refusal(put)).toBe('Bundle.entry[1].request');
  });
});
