import { claimAgrees, sniffMediaType } from './media-type';

function bytes(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') out.push(...[...part].map((c) => c.charCodeAt(0)));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

describe('sniffMediaType', () => {
  it.each([
    ['image/png', bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
    ['image/jpeg', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
    ['image/gif', bytes('GIF89a', [1, 0])],
    ['image/gif', bytes('GIF87a', [1, 0])],
    ['image/webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')],
    ['image/tiff', bytes([0x49, 0x49, 0x2a, 0x00, 8, 0])],
    ['image/tiff', bytes([0x4d, 0x4d, 0x00, 0x2a, 0, 8])],
    ['image/bmp', bytes('BM', new Array(12).fill(0), [40, 0, 0, 0], new Array(8).fill(0))],
    ['image/bmp', bytes('BM', new Array(12).fill(0), [124, 0, 0, 0], new Array(8).fill(0))],
    ['application/dicom', bytes(new Array(128).fill(0), 'DICM', [2, 0])],
    ['application/pdf', bytes('%PDF-1.7\n')],
  ])('recognises %s', (mime, content) => {
    expect(sniffMediaType(content)?.mime).toBe(mime);
  });

  it.each([
    ['text', bytes('hello, this is not an image')],
    ['empty', new Uint8Array(0)],
    ['truncated PNG signature', bytes([0x89], 'PNG')],
    ['RIFF that is not WebP', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ')],
    ['DICM too early', bytes('DICM', new Array(200).fill(0))],
    ['text that starts with BM', bytes('BMI report: 31.2, within range for the patient')],
    ['BM with an unknown DIB header size', bytes('BM', new Array(12).fill(0), [41, 0, 0, 0], new Array(8).fill(0))],
    ['BM cut short of the DIB header', bytes('BM', new Array(12).fill(0), [40, 0])],
  ])('refuses %s', (_name, content) => {
    expect(sniffMediaType(content)).toBeNull();
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
