import { ValidationFailedError } from '../../domain/errors';
import { accepts, rangeOf } from './document.controller';
import { FhirProtocolError } from './operation-outcome.filter';
import { dateMatches, tokenMatches } from './search';

describe('FHIR search and retrieve helpers', () => {
  const at = new Date('2026-03-15T10:20:30.000Z');

  it('#15 date values match at their precision, with the R4 prefixes', () => {
    expect(dateMatches(at, ['2026'], 'date')).toBe(true);
    expect(dateMatches(at, ['2026-03'], 'date')).toBe(true);
    expect(dateMatches(at, ['2026-03-15'], 'date')).toBe(true);
    expect(dateMatches(at, ['2026-03-16'], 'date')).toBe(false);
    expect(dateMatches(at, ['ge2026-03-15', 'lt2026-03-16'], 'date')).toBe(true);
    expect(dateMatches(at, ['gt2026-03-15'], 'date')).toBe(false);
    expect(dateMatches(at, ['le2026-03-15'], 'date')).toBe(true);
    expect(dateMatches(at, ['lt2026-03-15T10:20:31Z'], 'date')).toBe(true);
    expect(dateMatches(at, ['lt2026-03-15T10:20:30Z'], 'date')).toBe(false);
    expect(dateMatches(at, ['ge2026-03-15T12:00:00+02:00'], 'date')).toBe(true);
    expect(dateMatches(at, ['ne2026-03'], 'date')).toBe(false);
    expect(dateMatches(at, undefined, 'date')).toBe(true);
    expect(() => dateMatches(at, ['yesterday'], 'date')).toThrow(ValidationFailedError);
  });

  it('#15 token values match system|code, code, |code and system| alternatives', () => {
    const stored = 'http://loinc.org|18748-4';
    expect(tokenMatches(stored, ['http://loinc.org|18748-4'])).toBe(true);
    expect(tokenMatches(stored, ['18748-4'])).toBe(true);
    expect(tokenMatches(stored, ['http://loinc.org|'])).toBe(true);
    expect(tokenMatches(stored, ['|18748-4'])).toBe(false);
    expect(tokenMatches(stored, ['other|18748-4,http://loinc.org|18748-4'])).toBe(true);
    expect(tokenMatches(undefined, ['18748-4'])).toBe(false);
    expect(tokenMatches(undefined, undefined)).toBe(true);
  });

  it('#15 a single byte range is honoured; outside the document is 416; other forms serve it all', () => {
    expect(rangeOf(undefined, 100)).toBeNull();
    expect(rangeOf('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(rangeOf('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(rangeOf('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(rangeOf('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(rangeOf('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(rangeOf('bytes=0-1,5-6', 100)).toBeNull();
    expect(rangeOf('items=0-1', 100)).toBeNull();
    expect(() => rangeOf('bytes=100-', 100)).toThrow(FhirProtocolError);
    expect(() => rangeOf('bytes=-0', 100)).toThrow(FhirProtocolError);
  });

  it('#15 Accept admits a type by its exact name, its family or */*, never with q=0', () => {
    expect(accepts(undefined, 'image/png')).toBe(true);
    expect(accepts('image/*', 'image/png')).toBe(true);
    expect(accepts('application/pdf, */*;q=0.1', 'image/png')).toBe(true);
    expect(accepts('image/*', 'application/pdf')).toBe(false);
    expect(accepts('image/png;q=0', 'image/png')).toBe(false);
    expect(accepts('application/fhir+json', 'image/png')).toBe(false);
  });
});
