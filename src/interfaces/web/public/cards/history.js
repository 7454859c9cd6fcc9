// @ts-check
/** The retrieve card's history table: every version, paged, each with Open and Download. */

import { api, asApiError, recordsPath } from '../api.js';
import { $, el, fromTemplate, timeElement } from '../dom.js';
import { formatBytes, typeLabel } from '../format.js';
import { identity } from '../identity.js';
import { describeError } from '../problem-text.js';
import { listOwnRecords, readOwnRecord } from './own-records.js';
import { errors, readHeaders, state } from './retrieve-state.js';
import { markCurrentRow, showRecord } from './viewer.js';

export const HISTORY_PAGE_SIZE = 10;
const DOWNLOAD_URL_LIFETIME_MS = 60_000;

/** @typedef {import('./record-meta.js').RecordMeta} RecordMeta */

export function renderHistory() {
  $('history-body').replaceChildren(...state.items.map((item, index) => historyRow(item, index === 0)));
  $('history-more').hidden = !state.nextCursor;
  markCurrentRow();
}

/** @param {RecordMeta} item @param {boolean} isLatest */
function historyRow(item, isLatest) {
  const version = item.version !== undefined ? String(item.version) : '';
  const { root, part } = fromTemplate('history-row-template');
  root.dataset.recordId = item.recordId ?? '';
  part('version').textContent = version;
  if (!isLatest) {
    const badge = part('latest');
    badge.previousSibling?.remove(); // the space before it
    badge.remove();
  }
  part('stored').append(item.createdAt ? timeElement(item.createdAt) : el('span'));
  part('name').textContent = item.fileName ?? '';
  part('type').textContent = typeLabel(item.contentType);
  part('size').textContent = Number.isFinite(item.size) ? formatBytes(item.size ?? 0) : '';
  for (const slot of ['open-version', 'download-version']) part(slot).textContent = ` version ${version}`;
  part('open').addEventListener('click', () => openVersion(item));
  part('download').addEventListener('click', () => downloadVersion(item));
  return root;
}

/** @param {RecordMeta} item */
async function fetchVersion(item) {
  const own = String(item.chain ?? '').toLowerCase();
  const chain = own === 'supchain' || own === 'medchain' ? own : state.chain;
  if (identity.role === 'patient') {
    // The patient's own records are opened in this page; the header read here names the file.
    const { blob } = await readOwnRecord(state.patientId, item.recordId ?? '', { chain });
    return blob;
  }
  const { data } = await api(recordsPath(state.patientId, `/${encodeURIComponent(item.recordId ?? '')}`), {
    query: { chain },
    as: 'blob',
    headers: readHeaders(),
  });
  return /** @type {Blob} */ (data);
}

/** @param {unknown} error @param {'open' | 'retrieve'} action */
function errorText(error, action) {
  return describeError(asApiError(error), { action, chain: state.chain, patientId: state.patientId }).text;
}

/** @param {RecordMeta} item */
async function openVersion(item) {
  errors.clear();
  const generation = state.generation;
  $('retrieve-status').textContent = `Opening version ${item.version}…`;
  try {
    const blob = await fetchVersion(item);
    if (generation !== state.generation) return;
    const latest = state.items[0]?.recordId === item.recordId;
    showRecord(item, blob, { latest });
    $('retrieve-status').textContent = `Showing version ${item.version} (${item.fileName ?? 'record'}).`;
    $('viewer-title').focus({ preventScroll: true });
    $('viewer-title').scrollIntoView({ block: 'start', behavior: 'smooth' });
  } catch (error) {
    if (generation !== state.generation) return;
    errors.show(null, errorText(error, 'open'));
    $('retrieve-status').textContent = `Version ${item.version} could not be opened.`;
  }
}

/** @param {RecordMeta} item */
async function downloadVersion(item) {
  errors.clear();
  $('retrieve-status').textContent = `Preparing version ${item.version} for download…`;
  try {
    const blob = await fetchVersion(item);
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: item.fileName || `record-${item.version}`, class: 'visually-hidden' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_URL_LIFETIME_MS);
    $('retrieve-status').textContent = `Downloaded version ${item.version} (${item.fileName ?? 'record'}).`;
  } catch (error) {
    errors.show(null, errorText(error, 'open'));
    $('retrieve-status').textContent = `Version ${item.version} could not be downloaded.`;
  }
}

export async function loadMoreHistory() {
  if (!state.nextCursor || state.loadingMore) return;
  state.loadingMore = true;
  const generation = state.generation;
  const button = $('history-more');
  button.setAttribute('aria-disabled', 'true');
  $('retrieve-status').textContent = 'Loading earlier versions…';
  try {
    const data =
      identity.role === 'patient'
        ? await listOwnRecords(state.patientId, {
            chain: state.chain,
            limit: HISTORY_PAGE_SIZE,
            cursor: state.nextCursor,
          })
        : (
            await api(recordsPath(state.patientId), {
              query: { chain: state.chain, limit: HISTORY_PAGE_SIZE, cursor: state.nextCursor },
              headers: readHeaders(),
            })
          ).data;
    if (generation !== state.generation) return;
    /** @type {RecordMeta[]} */
    const items = Array.isArray(data?.items) ? data.items : [];
    const firstNew = state.items.length;
    state.items.push(...items);
    state.nextCursor = data?.nextCursor ?? null;
    renderHistory();
    $('retrieve-status').textContent = `Loaded ${items.length} earlier ${items.length === 1 ? 'version' : 'versions'}.`;
    // Keep keyboard users in place: focus the first new row's Open button.
    $('history-body').querySelectorAll('tr')[firstNew]?.querySelector('button')?.focus();
  } catch (error) {
    if (generation !== state.generation) return;
    errors.show(null, errorText(error, 'retrieve'));
    $('retrieve-status').textContent = 'Earlier versions could not be loaded.';
  } finally {
    state.loadingMore = false;
    button.setAttribute('aria-disabled', 'false');
  }
}
