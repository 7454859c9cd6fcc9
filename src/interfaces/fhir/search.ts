import type { Request } from 'express';
import { ValidationFailedError } from '../../domain/errors';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 100;

/** Search parameters from the query and (POST …/_search) the form body, each name with all its values. */
export type SearchParams = Map<string, string[]>;

export function searchParams(request: Request): SearchParams {
  const params: SearchParams = new Map();
  const add = (source: unknown) => {
    if (typeof source !== 'object' || source === null) return;
    for (const [name, raw] of Object.entries(source as Record<string, unknown>)) {
      const values = (Array.isArray(raw) ? raw : [raw]).filter((value): value is string => typeof value === 'string');
      if (values.length > 0) params.set(name, [...(params.get(name) ?? []), ...values]);
    }
  };
  add(request.query);
  if (request.method === 'POST') add(request.body);
  return params;
}

function integer(params: SearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = params.get(name)?.[0];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ValidationFailedError(`${name} must be an integer from ${min} to ${max}.`, name);
  }
  return value;
}

export function pageOf(params: SearchParams): { count: number; offset: number } {
  return {
    count: integer(params, '_count', 1, MAX_COUNT, DEFAULT_COUNT),
    offset: integer(params, '_offset', 0, Number.MAX_SAFE_INTEGER, 0),
  };
}

/**
 * A `searchset` Bundle of one page: `total` the number of matches, `self` the search with the
 * parameters that were applied (unsupported ones left out, as MHD asks), `first`/`previous`/`next`
 * links by `_offset`, every entry with its absolute `fullUrl`.
 */
export function searchsetBundle(
  base: string,
  resourceType: string,
  applied: [string, string][],
  matches: { id: string }[],
  page: { count: number; offset: number },
) {
  const link = (offset: number) => {
    const query = new URLSearchParams([...applied, ['_count', String(page.count)], ['_offset', String(offset)]]);
    return `${base}/${resourceType}?${query.toString()}`;
  };
  const links = [
    { relation: 'self', url: link(page.offset) },
    { relation: 'first', url: link(0) },
  ];
  if (page.offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, page.offset - page.count)) });
  if (page.offset + page.count < matches.length) links.push({ relation: 'next', url: link(page.offset + page.count) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    link: links,
    entry: matches.slice(page.offset, page.offset + page.count).map((resource) => ({
      fullUrl: `${base}/${resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;
const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;

/** The interval [start, end) a FHIR date search value stands for, at its precision. */
function interval(value: string, name: string): { start: number; end: number } {
  const match = DATE.exec(value);
  if (!match)
    throw new ValidationFailedError(
      `${name} must be a FHIR date or dateTime (YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]).`,
      name,
    );
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  if (hour === undefined) {
    const start = Date.UTC(Number(year), month ? Number(month) - 1 : 0, day ? Number(day) : 1);
    const end = day
      ? start + 86_400_000
      : month
        ? Date.UTC(Number(year), Number(month), 1)
        : Date.UTC(Number(year) + 1, 0, 1);
    return { start, end };
  }
  const start = Date.parse(
    `${year}-${month}-${day}T${hour}:${minute}:${second ?? '00'}${fraction ?? ''}${zone ?? 'Z'}`,
  );
  if (Number.isNaN(start)) throw new ValidationFailedError(`${name} is not a valid dateTime.`, name);
  return { start, end: start + (second === undefined ? 60_000 : fraction ? 1 : 1000) };
}

/** Whether an instant matches every value given for a date parameter (prefixes per FHIR R4 search). */
export function dateMatches(at: Date, values: string[] | undefined, name: string): boolean {
  if (!values) return true;
  const t = at.getTime();
  return values.every((raw) => {
    const prefix = PREFIXES.find((p) => raw.startsWith(p)) ?? 'eq';
    const { start, end } = interval(raw.startsWith(prefix) ? raw.slice(2) : raw, name);
    switch (prefix) {
      case 'eq':
      case 'ap':
        return t >= start && t < end;
      case 'ne':
        return t < start || t >= end;
      case 'gt':
      case 'sa':
        return t >= end;
      case 'lt':
      case 'eb':
        return t < start;
      case 'ge':
        return t >= start;
      case 'le':
        return t < end;
    }
    return false;
  });
}

/**
 * Whether a stored `system|code` token matches every value given for a token parameter; within one
 * value, comma-separated alternatives (`system|code`, `code`, `|code` for no system, `system|`).
 */
export function tokenMatches(stored: string | undefined, values: string[] | undefined): boolean {
  if (!values) return true;
  if (stored === undefined) return false;
  const bar = stored.indexOf('|');
  const system = stored.slice(0, bar);
  const code = stored.slice(bar + 1);
  return values.every((value) =>
    value.split(',').some((alternative) => {
      const at = alternative.indexOf('|');
      if (at < 0) return alternative === code;
      const [wantedSystem, wantedCode] = [alternative.slice(0, at), alternative.slice(at + 1)];
      return wantedSystem === system && (wantedCode === '' || wantedCode === code);
    }),
  );
}

/** The parameters a search applied, in a stable order, for its `self` link. */
export function appliedParams(params: SearchParams, supported: readonly string[]): [string, string][] {
  return supported.flatMap((name) => (params.get(name) ?? []).map((value): [string, string] => [name, value]));
}
