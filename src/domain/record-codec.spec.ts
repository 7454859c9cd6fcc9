import { bytesToHex, utf8 } from './bytes';
import { IntegrityCheckFailedError } from './errors';
import { RecordId } from './record-id';
import {
  decodeHeader,
  encodeHeader,
  envelopeVersion,
  recordSigningPayload,
  recordSigningPayloadFor,
} from './record-codec';

describe('record header codec', () => {
  const base = { fileName: 'scan.png', contentType: 'image/png', size: 3, uploader: 'provider:dr-a' };

  it('#15 keeps the plaintext SHA-1, the document classification and unique id through a round trip', () => {
    const sha1 = Uint8Array.from({ length: 20 }, (_, index) => index);
    const header = {
      ...base,
      sha1,
      documentType: 'http://loinc.org|18748-4',
      documentCategory: 'urn:x|img',
      documentId: 'urn:ietf:rfc:3986|urn:oid:2.25.1',
    };
    expect(decodeHeader(encodeHeader(header))).toEqual(header);
  });

  it('#15 a header stored before the SHA-1 was kept encodes as before and decodes without a hash', () => {
    const bytes = encodeHeader(base);
    expect(new TextDecoder().decode(bytes)).toBe(JSON.stringify(base));
    const decoded = decodeHeader(bytes);
    expect(decoded).toEqual(base);
    expect(decoded.sha1).toBeUndefined();
  });

  it('#15 a malformed SHA-1 in a header is an integrity failure', () => {
    expect(() => decodeHeader(utf8(JSON.stringify({ ...base, sha1: 'zz' })))).toThrow(IntegrityCheckFailedError);
  });
});

describe('#13 record signing payload', () => {
  const fields = {
    chain: 'medchain' as const,
    patientKey: new Uint8Array(32).fill(0xaa),
    recordId: RecordId.fromBytes(new Uint8Array(32).fill(0xbb)),
    contentSha256: new Uint8Array(32).fill(0xcc),
    sealedHeader: Uint8Array.from([1, 2, 3]),
  };
  const envelopeSha256 = new Uint8Array(32).fill(0xdd);
  /** u32 big-endian length, then the bytes, as hex: spelled out here rather than with lengthPrefixed. */
  const lp = (hex: string) => (hex.length / 2).toString(16).padStart(8, '0') + hex;
  const text = (value: string) => bytesToHex(utf8(value));
  const common = lp(text('medchain')) + lp('aa'.repeat(32)) + lp('bb'.repeat(32)) + lp('cc'.repeat(32)) + lp('010203');

  it('v1 (no envelope hash) is the layout records before v2 were signed with', () => {
    const payload = recordSigningPayload({ ...fields, keyEnvelopeSha256: null });
    expect(bytesToHex(payload)).toBe(lp(text('patient-centric-emr/record-signature/v1')) + common);
  });

  it('v2 has its own domain tag and ends with the length-prefixed SHA-256 of the key envelope', () => {
    const payload = recordSigningPayload({ ...fields, keyEnvelopeSha256: envelopeSha256 });
    expect(bytesToHex(payload)).toBe(
      lp(text('patient-centric-emr/record-signature/v2')) + common + lp('dd'.repeat(32)),
    );
  });

  it('v2 covers the envelope: another envelope hash is another payload', () => {
    const one = recordSigningPayload({ ...fields, keyEnvelopeSha256: envelopeSha256 });
    const other = recordSigningPayload({ ...fields, keyEnvelopeSha256: new Uint8Array(32).fill(0xde) });
    expect(bytesToHex(other)).not.toBe(bytesToHex(one));
  });

  it('recordSigningPayloadFor picks v2 for a v2 envelope, hashing exactly that envelope, and v1 otherwise', () => {
    const hashed: string[] = [];
    const sha256 = (data: Uint8Array) => {
      hashed.push(bytesToHex(data));
      return envelopeSha256;
    };
    const v2Envelope = Uint8Array.from([0x02, 0x01, 0x99]);
    expect(bytesToHex(recordSigningPayloadFor(fields.chain, { ...fields, keyEnvelope: v2Envelope }, sha256))).toBe(
      bytesToHex(recordSigningPayload({ ...fields, keyEnvelopeSha256: envelopeSha256 })),
    );
    expect(hashed).toEqual(['020199']);
    const v1Envelope = Uint8Array.from([0x01, 0x01, 0x99]);
    expect(bytesToHex(recordSigningPayloadFor(fields.chain, { ...fields, keyEnvelope: v1Envelope }, sha256))).toBe(
      bytesToHex(recordSigningPayload({ ...fields, keyEnvelopeSha256: null })),
    );
    expect(hashed).toHaveLength(1);
  });

  it('envelopeVersion is the first byte, 0 for an empty envelope', () => {
    expect(envelopeVersion(Uint8Array.from([2, 1]))).toBe(2);
    expect(envelopeVersion(Uint8Array.from([1]))).toBe(1);
    expect(envelopeVersion(new Uint8Array(0))).toBe(0);
  });
});
