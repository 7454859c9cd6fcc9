// @ts-check
/** Patient: who read their records, when and why, newest first; emergency reads flagged in words. */

import { accessPath, api, asApiError } from '../api.js';
import { $, el, fromTemplate, timeElement } from '../dom.js';
import { ledgerLabel, shortId } from '../format.js';
import { identity } from '../identity.js';
import { describeError } from '../problem-text.js';
import { nameOwnRecords } from './own-records.js';

/** Resolving file names for the access log: at most this many metadata look-ups per refresh. */
const MAX_LOG_NAME_LOOKUPS = 30;

/** @type {Record<string, string>} */
const ACCESS_KIND_LABELS = {
  'own-upload': 'A record they uploaded themselves',
  consent: 'With your consent',
  emergency: 'Emergency, without your consent',
};

/**
 * GET …/access-log, one entry.
 * @typedef {{ at?: string, accessorId?: string, accessorRole?: string, kind?: string, chain?: string,
 *   recordId?: string, reason?: string, emergency?: boolean, count?: number }} LogEntry
 */

const state = {
  /** @type {LogEntry[]} newest first */
  entries: [],
  /** Emergency reads in all (the X-Emergency-Count header), also those older than the first page. */
  emergencyTotal: 0,
  /**
   * "chain:recordId" → "scan.png (version 2)", from the record's header opened in this page.
   * @type {Map<string, string | null>}
   */
  recordNames: new Map(),
};

export function mountAccessLogCard() {
  $('log-refresh').addEventListener('click', () => loadAccessLog({ announce: true }));
}

/** @param {{ announce?: boolean }} [options] */
export async function loadAccessLog({ announce = false } = {}) {
  const patientId = identity.me?.id;
  if (!patientId) return;
  $('log-error').hidden = true;
  $('log-status').textContent = 'Loading the access log…';
  try {
    const { data, headers } = await api(accessPath(patientId, 'access-log'));
    /** @type {LogEntry[]} */
    const entries = Array.isArray(data) ? data.slice() : [];
    const shown = entries.filter(isEmergency).length;
    const total = Number(headers.get('X-Emergency-Count') ?? shown);
    state.emergencyTotal = Number.isFinite(total) ? Math.max(total, shown) : shown;
    // A flood of ordinary reads must not push emergency reads out of view: fetch those apart.
    if (state.emergencyTotal > shown) {
      const older = await api(accessPath(patientId, 'access-log'), { query: { kind: 'emergency' } });
      const seen = new Set(entries.map(entryKey));
      for (const entry of Array.isArray(older.data) ? older.data : []) {
        if (!seen.has(entryKey(entry))) entries.push(entry);
      }
    }
    state.entries = entries.sort((a, b) => String(b.at).localeCompare(String(a.at)));
    await resolveRecordNames(patientId, state.entries);
    render();
    const emergencies = state.emergencyTotal;
    const count = state.entries.length;
    $('log-status').textContent = announce
      ? `Access log updated: ${count} ${count === 1 ? 'read' : 'reads'}${emergencies ? `, ${emergencies} in an emergency` : ''}.`
      : '';
  } catch (error) {
    $('log-status').textContent = '';
    $('log-error').textContent = describeError(asApiError(error), { action: 'log' }).text;
    $('log-error').hidden = false;
  }
}

/** @param {LogEntry} entry */
function entryKey(entry) {
  return [entry.at, entry.chain, entry.accessorId, entry.recordId, entry.kind].join('|');
}

/** @param {LogEntry} entry */
function isEmergency(entry) {
  return entry.emergency === true || entry.kind === 'emergency';
}

/**
 * Names the records the entries mention. A patient's records are named from their headers,
 * opened in this page (the service holds no key of theirs); until the keys are in this browser
 * they are shown by id, and named on the next load.
 * @param {string} patientId @param {LogEntry[]} entries
 */
async function resolveRecordNames(patientId, entries) {
  /** @type {{ key: string, chain: string, recordId: string }[]} */
  const wanted = [];
  for (const entry of entries) {
    const key = `${entry.chain}:${entry.recordId}`;
    if (entry.recordId && entry.chain && !state.recordNames.has(key) && !wanted.some((w) => w.key === key))
      wanted.push({ key, chain: entry.chain, recordId: entry.recordId });
  }
  if (wanted.length === 0) return;
  const asked = wanted.slice(0, MAX_LOG_NAME_LOOKUPS);
  let names;
  try {
    names = await nameOwnRecords(patientId, asked);
  } catch {
    names = new Map();
  }
  if (!names) return;
  for (const { key } of asked) state.recordNames.set(key, names.get(key) ?? null);
}

function render() {
  const entries = state.entries;
  $('log-list').replaceChildren(...entries.map(logEntry));
  $('log-list').hidden = entries.length === 0;
  $('log-empty').hidden = entries.length > 0;
  const emergencies = Math.max(state.emergencyTotal, entries.filter(isEmergency).length);
  const summary = $('log-summary');
  summary.hidden = emergencies === 0;
  summary.replaceChildren(
    emergencyFlag(),
    ` ${emergencies} ${emergencies === 1 ? 'read was' : 'reads were'} made in an emergency, without your consent. Each shows the reason given.`,
  );
}

function emergencyFlag() {
  return fromTemplate('emergency-flag-template').root;
}

/** @param {LogEntry} entry */
function logEntry(entry) {
  const emergency = isEmergency(entry);
  const name = entry.recordId ? state.recordNames.get(`${entry.chain}:${entry.recordId}`) : null;
  const what = entry.recordId
    ? el(
        'span',
        {},
        'opened ',
        name
          ? el('span', { class: 'log-entry__record', text: name })
          : el('span', { class: 'mono', title: entry.recordId, text: `a record (${shortId(entry.recordId)})` }),
      )
    : 'listed your records';
  const role = entry.accessorRole && entry.accessorRole !== 'unknown' ? ` (${entry.accessorRole})` : '';

  const { root, part } = fromTemplate('log-entry-template');
  if (emergency) root.classList.add('log-entry--emergency');
  root.dataset.kind = entry.kind ?? '';
  root.dataset.emergency = String(emergency);
  if (emergency) part('flag').append(emergencyFlag());
  else part('flag').remove();
  part('what').append(
    el('strong', { text: entry.accessorId ?? 'Someone' }),
    `${role} `,
    what,
    ` on ${ledgerLabel(entry.chain)}`,
  );
  if (entry.reason) part('quote').textContent = `“${entry.reason}”`;
  else part('reason').remove();
  part('meta').append(
    ...[
      entry.at ? timeElement(entry.at, { seconds: true }) : null,
      ' · ',
      ACCESS_KIND_LABELS[entry.kind ?? ''] ?? String(entry.kind ?? ''),
      entry.count && entry.count > 1 ? ` · ${entry.count} reads within a minute` : null,
    ].filter((child) => child !== null),
  );
  return root;
}
