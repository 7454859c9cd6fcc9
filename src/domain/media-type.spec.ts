import { claimAgrees, refusalReason, sniffMediaType } from './media-type';

function bytes(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') out.push(...[...part].map((c) => c.charCodeAt(0)));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

/** Real minimal files (1×1 images, a one-line PDF, a Secondary Capture DICOM), as `file(1)` identifies them. */
const SAMPLES = {
  png: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC',
  jpeg:
    '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA' +
    'QEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z',
  gif: 'R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAkQBADs=',
  webp: 'UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==',
  tiff:
    'SUkqAAgAAAAIAAABAwABAAAAAQAAAAEBAwABAAAAAQAAAAIBAwABAAAACAAAAAMBAwABAAAAAQAAAAYBAwABAAAAAQAAABEBBAABAAAAbgAAABY' +
    'BAwABAAAAAQAAABcBBAABAAAAAQAAAAAAAACA',
  bmp: 'Qk06AAAAAAAAADYAAAAoAAAAAQAAAAEAAAABABgAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAA////AA==',
  dicom:
    'A'.repeat(170) +
    'BESUNNAgAAAFVMBABwAAAAAgABAE9CAAACAAAAAAECAAIAVUkaADEuMi44NDAuMTAwMDguNS4xLjQuMS4xLjcAAgADAFVJHAAxLjIuODI2LjAuMS' +
    '4zNjgwMDQzLjIuMTE0My4xAgAQAFVJFAAxLjIuODQwLjEwMDA4LjEuMi4xAAgAFgBVSRoAMS4yLjg0MC4xMDAwOC41LjEuNC4xLjEuNwAIABgAVU' +
    'kcADEuMi44MjYuMC4xLjM2ODAwNDMuMi4xMTQzLjE=',
  pdf: 'JVBERi0xLjQKMSAwIG9iaiA8PD4+IGVuZG9iagp0cmFpbGVyIDw8Pj4KJSVFT0YK',
};
type Format = keyof typeof SAMPLES;

function sample(format: Format): Uint8Array {
  return Uint8Array.from(Buffer.from(SAMPLES[format], 'base64'));
}

/** The sample cut to its first `length` bytes (negative: that many bytes short). */
function cut(format: Format, length: number): Uint8Array {
  return sample(format).slice(0, length);
}

/** The sample with `values` written at `offset`. */
function patched(format: Format, offset: number, values: number[]): Uint8Array {
  const out = sample(format);
  out.set(values, offset >= 0 ? offset : out.length + offset);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

describe('sniffMediaType', () => {
  it.each([
    ['image/png', sample('png')],
    ['image/jpeg', sample('jpeg')],
    ['image/gif', sample('gif')],
    ['image/webp', sample('webp')],
    ['image/tiff', sample('tiff')],
    ['image/bmp', sample('bmp')],
    ['application/dicom', sample('dicom')],
    ['application/pdf', sample('pdf')],
    ['image/png', concat(sample('png'), bytes('trailing bytes after IEND'))],
    ['image/jpeg', concat(sample('jpeg'), bytes('data after EOI'))],
    ['image/gif', cut('gif', -1)],
    ['application/pdf', concat(sample('pdf'), bytes('\r\n'))],
  ])('recognises a real minimal %s file', (mime, content) => {
    expect(sniffMediaType(content)?.mime).toBe(mime);
  });

  it.each([
    ['text', bytes('hello, this is not an image')],
    ['empty', new Uint8Array(0)],
    ['RIFF that is not WebP', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ')],
    ['DICM too early', bytes('DICM', new Array(200).fill(0))],
    ['text that starts with BM', bytes('BMI report: 31.2, within range for the patient')],
    ['BM with an unknown DIB header size', bytes('BM', new Array(12).fill(0), [41, 0, 0, 0], new Array(8).fill(0))],
  ])('refuses %s', (_name, content) => {
    expect(sniffMediaType(content)).toBeNull();
  });

  it.each([
    // PNG (ISO/IEC 15948 §5): signature, IHDR first, IDAT, IEND.
    ['PNG: the 8-byte signature alone', cut('png', 8)],
    ['PNG: cut inside IHDR', cut('png', 20)],
    ['PNG: cut before IEND', cut('png', -12)],
    ['PNG: IHDR with a wrong CRC', patched('png', 29, [0, 0, 0, 0])],
    ['PNG: IHDR with zero width', patched('png', 16, [0, 0, 0, 0])],
    ['PNG: IHDR with a bit depth its colour type forbids', patched('png', 24, [4])],
    [
      'PNG: a first chunk that is not IHDR',
      patched(
        'png',
        12,
        [...'IDAT'].map((c) => c.charCodeAt(0)),
      ),
    ],
    ['PNG: no IDAT', concat(cut('png', 33), sample('png').slice(-12))],
    // JPEG (ITU T.81 Annex B): SOI, marker segments, SOF, SOS, EOI.
    ['JPEG: SOI and the first marker alone', cut('jpeg', 4)],
    ['JPEG: SOI followed by no marker', bytes([0xff, 0xd8, 0xff, 0x00, 0, 0, 0, 0])],
    ['JPEG: a segment longer than the file', cut('jpeg', 60)],
    ['JPEG: a scan without a frame header', concat(cut('jpeg', 20), sample('jpeg').slice(0x92))],
    ['JPEG: cut before EOI', cut('jpeg', -2)],
    // GIF (GIF89a §17-18): header, logical screen, colour table, blocks, trailer.
    ['GIF: the header alone', cut('gif', 6)],
    ['GIF: cut inside the global colour table', cut('gif', 16)],
    ['GIF: cut inside the image data', cut('gif', -3)],
    ['GIF: no image', concat(cut('gif', 19), bytes(';'))],
    ['GIF: a block that is not an image, extension or trailer', patched('gif', 19, [0x00])],
    // WebP (RFC 9649): RIFF size, first chunk VP8/VP8L/VP8X with its own signature.
    ['WebP: cut short of the RIFF size', cut('webp', -2)],
    [
      'WebP: an unknown first chunk',
      patched(
        'webp',
        12,
        [...'ABCD'].map((c) => c.charCodeAt(0)),
      ),
    ],
    ['WebP: VP8L without its signature byte', patched('webp', 20, [0x00])],
    ['WebP: a chunk larger than the RIFF body', patched('webp', 16, [0xff, 0, 0, 0])],
    // TIFF (TIFF 6.0 §2): header, an IFD with entries inside the file.
    ['TIFF: the header alone', cut('tiff', 8)],
    ['TIFF: an IFD offset past the end', patched('tiff', 4, [0xff, 0, 0, 0])],
    ['TIFF: an IFD with no entries', patched('tiff', 8, [0, 0])],
    ['TIFF: cut inside the IFD', cut('tiff', 40)],
    // BMP: file header, a whole DIB header, pixel data inside the file.
    ['BMP: the headers cut short', cut('bmp', 30)],
    ['BMP: pixel data offset past the end', patched('bmp', 10, [0xff, 0, 0, 0])],
    ['BMP: zero width', patched('bmp', 18, [0, 0, 0, 0])],
    ['BMP: planes other than 1', patched('bmp', 26, [2])],
    // DICOM (PS3.10 §7.1): preamble, DICM, a whole file meta element of group 0002.
    ['DICOM: preamble and DICM alone', cut('dicom', 132)],
    ['DICOM: a first element outside group 0002', patched('dicom', 132, [0x08, 0x00])],
    ['DICOM: a first element that is not explicit VR', patched('dicom', 136, [0x04, 0x00])],
    ['DICOM: cut inside the first element', cut('dicom', 140)],
    // PDF (ISO 32000-1 §7.5): header with a version, %%EOF at the end.
    ['PDF: the header alone', bytes('%PDF-1.7\n')],
    ['PDF: cut before %%EOF', cut('pdf', -4)],
    ['PDF: no version in the header', bytes('%PDF-\n%%EOF\n')],
    ['PDF: %%EOF far from the end', concat(sample('pdf'), new Uint8Array(2048))],
  ])('#11.9 refuses a fake or truncated file: %s', (_name, content) => {
    expect(sniffMediaType(content)).toBeNull();
  });

  it('#11.9 says which format a malformed file claims to be, and lists the formats for anything else', () => {
    expect(refusalReason(cut('png', 8))).toMatch(/PNG.*truncated or malformed/);
    expect(refusalReason(cut('dicom', 132))).toMatch(/DICOM.*truncated or malformed/);
    expect(refusalReason(bytes('plain text'))).toMatch(
      /not one of the accepted formats \(PNG, JPEG, GIF, WebP, TIFF, BMP, DICOM, PDF\)/,
    );
  });
});

describe('claimAgrees', () => {
  const png = { mime: 'image/png', extension: 'png' };

  it('accepts the same type, aliases, parameters and non-committal claims', () => {
    expect(claimAgrees('image/png', png)).toBe(true);
    expect(claimAgrees('IMAGE/PNG; charset=binary', png)).toBe(true);
    expect(claimAgrees('image/x-png', png)).toBe(true);
    expect(claimAgrees('application/octet-stream', png)).toBe(true);
    expect(claimAgrees(undefined, png)).toBe(true);
  });

  it('refuses a conflicting claim', () => {
    expect(claimAgrees('image/jpeg', png)).toBe(false);
    expect(claimAgrees('text/plain', png)).toBe(false);
  });
});
