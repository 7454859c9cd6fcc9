import { cleanFileName, displayFileName, genericFileName, MAX_FILE_NAME_CODE_POINTS } from './file-name';

/** Whether the text is well-formed UTF-16 (no lone surrogate), as headers and UTF-8 need. */
function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

describe('cleanFileName', () => {
  it('#11.1 cuts a long name by code point, never inside a surrogate pair, and keeps the extension', () => {
    const cleaned = cleanFileName(`${'b'.repeat(254)}😀.png`, 'png');
    expect(isWellFormed(cleaned)).toBe(true);
    expect(() => encodeURIComponent(cleaned)).not.toThrow();
    expect([...cleaned]).toHaveLength(MAX_FILE_NAME_CODE_POINTS);
    expect(cleaned).toBe(`${'b'.repeat(MAX_FILE_NAME_CODE_POINTS - 4)}.png`);
  });

  it('#11.1 cuts a long name without an extension after a whole emoji', () => {
    const cleaned = cleanFileName(`${'b'.repeat(254)}😀😀`, 'png');
    expect(cleaned).toBe(`${'b'.repeat(254)}😀`);
    expect(isWellFormed(cleaned)).toBe(true);
  });

  it('#11.1 strips bidi controls, so a name cannot display as something else', () => {
    expect(cleanFileName('invoice\u202Egnp.exe', 'png')).toBe('invoicegnp.exe');
    expect(cleanFileName('\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069.png', 'png')).toBe('abcdefg.png');
    expect(cleanFileName('x\u200E\u200F\u061Cy.png', 'png')).toBe('xy.png');
  });

  it('#11.1 strips C0 and C1 controls and DEL', () => {
    expect(cleanFileName('a\u0000b\u0009c\u001fd\u007fe\u0080f\u0085g\u009f.png', 'png')).toBe('abcdefg.png');
    expect(cleanFileName('line\u2028break\u2029.png', 'png')).toBe('linebreak.png');
  });

  it('#11.1 drops lone surrogates', () => {
    expect(cleanFileName('scan\uD83D.png', 'png')).toBe('scan.png');
    expect(cleanFileName('\uDE00scan.png', 'png')).toBe('scan.png');
    expect(cleanFileName('ok 😀.png', 'png')).toBe('ok 😀.png');
  });

  it.each([
    ['nothing', undefined],
    ['an empty name', ''],
    ['only controls', '\u202E\u0001\u0085'],
    ['only a lone surrogate', '\uD83D'],
    ['only blanks', '   '],
    ['a dot', '.'],
    ['two dots', '..'],
    ['a trailing separator', 'scans/'],
  ])('#11.1 falls back to a generic name for %s', (_case, raw) => {
    expect(cleanFileName(raw, 'png')).toBe('record.png');
  });

  it('keeps the base name only and drops quotes', () => {
    expect(cleanFileName('../../etc/passwd', 'pdf')).toBe('passwd');
    expect(cleanFileName('C:\\scans\\knee "left".png', 'png')).toBe('knee left.png');
    expect(cleanFileName('  Röntgen.png  ', 'png')).toBe('Röntgen.png');
  });
});

describe('displayFileName', () => {
  it('#11.1 shows a name already on a ledger as well-formed text, whatever older code stored', () => {
    expect(displayFileName(`${'b'.repeat(254)}\uD83D`, 'image/png')).toBe('b'.repeat(254));
    expect(displayFileName('scan\u202Egnp.exe', 'image/png')).toBe('scangnp.exe');
    expect(displayFileName('\uD83D', 'application/pdf')).toBe('record.pdf');
    expect(displayFileName('\u0001', 'text/unknown')).toBe('record.bin');
  });

  it('names a generic fallback by content type', () => {
    expect(genericFileName('application/dicom')).toBe('record.dcm');
    expect(genericFileName('text/unknown')).toBe('record.bin');
  });

  it('leaves a clean stored name as it is', () => {
    expect(displayFileName('Röntgen links.png', 'image/png')).toBe('Röntgen links.png');
  });
});
