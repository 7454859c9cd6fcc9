// @ts-check
/** Retrieve records (providers; "My records" for a patient): the latest record, then its history. */

import { api, ApiError, asApiError, isAbort, recordsPath } from '../api.js';
import { $, $input, checkRadio, checkedValue, clearWhenValid } from '../dom.js';
import { fileNameFromDisposition, ledgerLabel } from '../format.js';
import { identity } from '../identity.js';
import { describeError } from '../problem-text.js';
import { ID_HINT, validatePatientId } from '../validation.js';
import { mountEmergencyDialog, openEmergencyDialog } from './emergency.js';
import { HISTORY_PAGE_SIZE, loadMoreHistory, renderHistory } from './history.js';
import { errors, readHeaders, state } from './retrieve-state.js';
import { listOwnRecords, readOwnRecord } from './own-records.js';
import { showRecord } from './viewer.js';

/** @typedef {import('./record-meta.js').RecordMeta} RecordMeta */

export function mountRetrieveCard() {
  $('retrieve-form').addEventListener('submit', (event) => {
    event.preventDefault();
    return retrieveLatest();
  });
  $('history-more').addEventListener('click', loadMoreHistory);
  $('emergency-open').addEventListener('click', () => openEmergencyDialog(state.refused));
  mountEmergencyDialog((refused, reason) => {
    $input('retrieve-patient').value = refused.patientId;
    checkRadio('retrieve-chain', refused.chain);
    retrieveLatest({ ...refused, breakGlassReason: reason }).then(() => {
      if (!$('retrieve-result').hidden) $('viewer-title').focus();
    });
  });
  clearWhenValid('retrieve-patient', validatePatientId);
}

/** A patient reads their own record only: the patient ID is filled in and locked. @param {string | null} patientId */
export function setOwnPatient(patientId) {
  const input = $input('retrieve-patient');
  const wasLocked = input.readOnly;
  input.readOnly = Boolean(patientId);
  if (patientId) input.value = patientId;
  else if (wasLocked) input.value = '';
  $('retrieve-patient-hint').textContent = patientId ? 'Your own patient ID.' : ID_HINT;
  $('retrieve-title').textContent = patientId ? 'My records' : 'Retrieve records';
  $('retrieve-intro').textContent = patientId
    ? 'Your latest record on a ledger, and every earlier version.'
    : 'Shows the latest record for a patient, and every earlier version.';
}

/** "View in Retrieve", from the upload card. @param {string} patientId @param {string} chain */
export function view(patientId, chain) {
  $input('retrieve-patient').value = patientId;
  checkRadio('retrieve-chain', chain === 'both' ? 'any' : chain);
  $('retrieve-title').focus();
  $('retrieve-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
  retrieveLatest();
}

/**
 * Reads the latest record, then the history. Sequential on purpose: a read that is refused
 * does not go on to list (and log) the history. Without arguments it reads what the form says.
 * @param {{ patientId?: string, chain?: string, breakGlassReason?: string | null }} [read]
 */
async function retrieveLatest({
  patientId = $input('retrieve-patient').value.trim(),
  chain = checkedValue('retrieve-chain'),
  breakGlassReason = null,
} = {}) {
  errors.clear();
  const patientProblem = validatePatientId(patientId);
  if (patientProblem) {
    errors.show('patient', patientProblem);
    $('retrieve-status').textContent = 'Not retrieved: please correct the highlighted field.';
    return;
  }

  state.controller?.abort();
  const controller = new AbortController();
  const generation = ++state.generation;
  Object.assign(state, {
    patientId,
    chain,
    items: [],
    nextCursor: null,
    shownRecordId: null,
    controller,
    breakGlassReason,
    refused: null,
  });
  const stale = () => generation !== state.generation;
  const status = $('retrieve-status');

  $('retrieve-empty').hidden = true;
  $('emergency-offer').hidden = true;
  status.classList.remove('visually-hidden');
  $('retrieve-result').hidden = true;
  $('retrieve-form').setAttribute('aria-busy', 'true');
  status.textContent = breakGlassReason
    ? `Opening ${patientId}’s records from ${ledgerLabel(chain)} under emergency access…`
    : `Retrieving records from ${ledgerLabel(chain)}…`;

  if (identity.role === 'patient') {
    await retrieveOwnLatest({ patientId, chain, controller, stale });
    return;
  }

  let latest;
  try {
    latest = await api(recordsPath(patientId, '/latest'), {
      query: { chain },
      as: 'blob',
      headers: readHeaders(),
      signal: controller.signal,
    });
  } catch (error) {
    if (stale()) return;
    $('retrieve-form').setAttribute('aria-busy', 'false');
    showRetrieveError(error, { patientId, chain });
    return;
  }
  /** @type {{ value?: import('../api.js').ApiResponse, reason?: unknown }} */
  let history;
  try {
    history = {
      value: await api(recordsPath(patientId), {
        query: { chain, limit: HISTORY_PAGE_SIZE },
        headers: readHeaders(),
        signal: controller.signal,
      }),
    };
  } catch (error) {
    history = { reason: error };
  }
  if (stale()) return;
  $('retrieve-form').setAttribute('aria-busy', 'false');

  const page = history.value?.data ?? null;
  state.items = Array.isArray(page?.items) ? page.items : [];
  state.nextCursor = page?.nextCursor ?? null;

  const recordId = latest.headers.get('X-Record-Id');
  /** @type {RecordMeta | null | undefined} */
  let meta = state.items.find((item) => item.recordId === recordId);
  if (!meta && recordId) {
    meta = await api(recordsPath(patientId, `/${encodeURIComponent(recordId)}/metadata`), {
      query: { chain },
      headers: readHeaders(),
      signal: controller.signal,
    })
      .then((r) => r.data)
      .catch(() => null);
    if (stale()) return;
  }
  meta ??= {
    recordId: recordId ?? undefined,
    chain,
    contentType: latest.data.type,
    size: latest.data.size,
    fileName: fileNameFromDisposition(latest.headers.get('Content-Disposition')) ?? undefined,
  };

  renderHistory();
  showRecord(meta, latest.data, { latest: true });
  showEmergencyBanner();
  $('retrieve-result').hidden = false;
  if (history.reason && !isAbort(history.reason)) {
    const { text } = describeError(asApiError(history.reason), { action: 'retrieve', chain, patientId });
    errors.show(null, `The list of earlier versions could not be loaded. ${text}`);
  }
  const from = ledgerLabel(meta.chain && meta.chain !== 'any' ? meta.chain : chain);
  status.textContent = breakGlassReason
    ? `Showing the latest record (${describeShort(meta)}) from ${from}, opened under emergency access.`
    : `Showing the latest record (${describeShort(meta)}) from ${from}.`;
}

/**
 * A patient's own latest record and history: listed through the sealed endpoints, the newest
 * one read and opened in this page (spec §7). Same order as a provider's read: a record that
 * cannot be read is reported before any history is shown.
 * @param {{ patientId: string, chain: string, controller: AbortController, stale: () => boolean }} read
 */
async function retrieveOwnLatest({ patientId, chain, controller, stale }) {
  const status = $('retrieve-status');
  /** @type {{ meta: RecordMeta, blob: Blob }} */
  let latest;
  /** @type {{ items: RecordMeta[], nextCursor: string | null }} */
  let page;
  try {
    page = await listOwnRecords(patientId, { chain, limit: HISTORY_PAGE_SIZE, signal: controller.signal });
    const newest = page.items[0];
    if (!newest?.recordId) throw new ApiError({ status: 404, code: 'RECORD_NOT_FOUND' });
    latest = await readOwnRecord(patientId, newest.recordId, {
      chain: ownChain(newest, chain),
      signal: controller.signal,
    });
  } catch (error) {
    if (stale()) return;
    $('retrieve-form').setAttribute('aria-busy', 'false');
    showRetrieveError(error, { patientId, chain });
    return;
  }
  if (stale()) return;
  $('retrieve-form').setAttribute('aria-busy', 'false');
  state.items = page.items;
  state.nextCursor = page.nextCursor;
  renderHistory();
  showRecord(latest.meta, latest.blob, { latest: true });
  showEmergencyBanner();
  $('retrieve-result').hidden = false;
  const from = ledgerLabel(latest.meta.chain && latest.meta.chain !== 'any' ? latest.meta.chain : chain);
  status.textContent = `Showing the latest record (${describeShort(latest.meta)}) from ${from}.`;
}

/** The ledger a listed record is read from: its own, else what the form asked. @param {RecordMeta} item @param {string} chain */
function ownChain(item, chain) {
  const own = String(item.chain ?? '').toLowerCase();
  return own === 'supchain' || own === 'medchain' ? own : chain;
}

/** @param {unknown} error @param {{ patientId: string, chain: string }} read */
function showRetrieveError(error, { patientId, chain }) {
  if (isAbort(error)) return;
  const problem = asApiError(error);
  const { field, text, notice } = describeError(problem, { action: 'retrieve', chain, patientId });
  const status = $('retrieve-status');
  if (field === 'reason') {
    // The server refused the emergency reason: ask for it again, next to the reason field.
    state.refused = { patientId, chain };
    status.textContent = 'Not opened: the reason was not accepted.';
    openEmergencyDialog(state.refused, { error: text });
    return;
  }
  if (notice) {
    $('retrieve-empty').textContent = text;
    $('retrieve-empty').hidden = false;
    // Still announced through the live region, but shown once: in the notice box.
    status.classList.add('visually-hidden');
    status.textContent = text;
    return;
  }
  const refused = problem.code === 'CONSENT_REQUIRED' && identity.role === 'provider' && !state.breakGlassReason;
  errors.show(field, text, { focus: !refused });
  if (refused) {
    state.refused = { patientId, chain };
    $('emergency-offer-text').textContent =
      `If ${patientId} needs care now and cannot give consent, you can still open their records. ` +
      'You must give a reason; the read is logged and shown to the patient.';
    $('emergency-offer').hidden = false;
    // Announced, but not shown a second time: the sentence is already by the Patient ID field.
    status.classList.add('visually-hidden');
    status.textContent = `Not retrieved: ${patientId} has not given consent. Emergency access is offered below the form.`;
    return;
  }
  status.textContent = 'Not retrieved.';
}

function showEmergencyBanner() {
  const reason = state.breakGlassReason;
  $('emergency-banner').hidden = !reason;
  $('emergency-banner-text').textContent = reason
    ? `This read is logged and shown to ${state.patientId}. Your reason: “${reason}”`
    : '';
}

/** @param {RecordMeta} meta */
function describeShort(meta) {
  const parts = [];
  if (meta.version !== undefined) parts.push(`version ${meta.version}`);
  if (meta.fileName) parts.push(meta.fileName);
  return parts.join(', ') || 'record';
}
