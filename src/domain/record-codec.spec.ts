import { utf8 } from './bytes';
import { IntegrityCheckFailedError } from './errors';
import { decodeHeader, encodeHeader } from './record-codec';

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
