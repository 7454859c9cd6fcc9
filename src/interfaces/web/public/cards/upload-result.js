// @ts-check
/** The upload card's result: one stored record, or a chain=both upload's copy on each ledger. */

import { api, apiPathOf, asApiError } from '../api.js';
import { $, el } from '../dom.js';
import { ledgerLabel } from '../format.js';
import { describeError } from '../problem-text.js';
import { fillMeta, metadataRows } from './record-meta.js';

/** @typedef {import('./record-meta.js').RecordMeta} RecordMeta */

/** @type {Record<string, string>} */
const REPLICA_LABELS = {
  committed: 'Stored',
  pending: 'Waiting: the copy will be written when this ledger returns',
  absent: 'Missing: the service will repair it',
  unreachable: 'Unreachable right now',
};

const state = {
  /** @type {RecordMeta | null} the upload's answer */
  meta: null,
  /** @type {RecordMeta['replicas'] | null} each ledger's copy, as the upload answered */
  replicas: null,
};

/** Per-ledger state: { supchain: 'committed', medchain: 'pending' }. @param {unknown} replicas */
function replicaStates(replicas) {
  /** @type {Record<string, string>} */
  const states = {};
  for (const [chain, replica] of Object.entries(replicas ?? {})) {
    states[chain] = typeof replica === 'string' ? replica : String(replica?.status ?? '');
  }
  return states;
}

/**
 * @param {RecordMeta} meta the upload's answer
 * @param {string} chain what the form asked for
 * @param {number} httpStatus 201, or 202 when a copy is still owed
 */
export function showUploadResult(meta, chain, httpStatus) {
  state.meta = meta;
  const replicas = meta.replicas && typeof meta.replicas === 'object' ? meta.replicas : null;
  const name = meta.fileName ?? 'the file';
  const result = $('upload-result');
  if (!replicas) {
    fillMeta($('upload-result-meta'), metadataRows({ chain, ...meta }));
    $('upload-result-title').textContent = 'Record stored';
    $('upload-result-note').hidden = true;
    $('upload-recheck').hidden = true;
    result.classList.remove('result--partial');
    result.hidden = false;
    const version = meta.version !== undefined ? `version ${meta.version}` : 'the record';
    $('upload-status').textContent = `Stored ${version} of ${name} on ${ledgerLabel(meta.chain ?? chain)}.`;
    return;
  }
  state.replicas = replicas;
  render(meta, replicaStates(replicas), httpStatus === 202);
  result.hidden = false;
}

/**
 * One row per ledger, and a plain sentence when a copy is still owed.
 * @param {RecordMeta} meta @param {Record<string, string>} states @param {boolean} accepted
 */
function render(meta, states, accepted) {
  const name = meta.fileName ?? 'the file';
  const stored = Object.keys(states).filter((chain) => states[chain] === 'committed');
  const waiting = Object.keys(states).filter((chain) => states[chain] !== 'committed');
  const partial = accepted || waiting.length > 0;
  /** @param {string} chain */
  const versionOf = (chain) => {
    const replica = state.replicas?.[chain];
    return typeof replica === 'object' ? replica.version : undefined;
  };
  /** @type {import('./record-meta.js').MetaRow[]} */
  const ledgerRows = Object.entries(states).map(([chain, status]) => {
    const version = status === 'committed' && versionOf(chain) !== undefined ? `, version ${versionOf(chain)}` : '';
    return [
      `${ledgerLabel(chain)} copy`,
      el('span', { class: `replica replica--${status}` }, `${REPLICA_LABELS[status] ?? status}${version}`),
    ];
  });
  const rows = [
    ...ledgerRows,
    ...metadataRows({ ...meta, chain: null, version: undefined, transactions: [], blockNumber: null }),
  ];
  fillMeta($('upload-result-meta'), rows);

  $('upload-result').classList.toggle('result--partial', partial);
  $('upload-result-title').textContent = partial
    ? `Stored on ${stored.map(ledgerLabel).join(' and ') || 'one ledger'} only, for now`
    : 'Record stored on both ledgers';
  const note = $('upload-result-note');
  if (partial) {
    const missing = waiting.map(ledgerLabel).join(' and ') || 'One ledger';
    note.textContent = `${missing} could not be reached. The record is safe on ${stored.map(ledgerLabel).join(' and ') || 'the other ledger'}, and the copy will be written to ${missing} when it returns.`;
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  $('upload-recheck').hidden = !partial || !apiPathOf(meta.statusUrl);
  const versions = stored.map(
    (chain) => `${ledgerLabel(chain)}${versionOf(chain) !== undefined ? ` (version ${versionOf(chain)})` : ''}`,
  );
  $('upload-status').textContent = partial
    ? `Stored ${name} on ${versions.join(' and ')}; the ${waiting.map(ledgerLabel).join(' and ')} copy is still to be written.`
    : `Stored ${name} on ${versions.join(' and ')}.`;
}

/** "Check the copies again": asks the upload's statusUrl where the copies are. */
export async function recheckReplicas() {
  const meta = state.meta;
  const path = apiPathOf(meta?.statusUrl);
  if (!meta || !path) return;
  $('upload-status').textContent = 'Checking where the copies are…';
  try {
    const { data } = await api(path);
    render(meta, replicaStates(data?.chains), !data?.complete);
    if (data?.complete) $('upload-result-title').focus();
  } catch (error) {
    const { text } = describeError(asApiError(error), { action: 'replicas', chain: 'both' });
    $('upload-status').textContent = `Could not check the copies. ${text}`;
  }
}
