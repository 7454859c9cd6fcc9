// @ts-check
/** Provider: enrol a patient, and show the patient's claim code once (never their token). */

import { api, asApiError } from '../api.js';
import { $, $input, clearWhenValid, fieldErrors, setBusy } from '../dom.js';
import { describeError } from '../problem-text.js';
import { validatePatientId } from '../validation.js';
import { groupClaimCode, showClaimCode, shownOnce } from './shown-once.js';

const state = {
  busy: false,
  /** @type {string | null} the patient just enrolled */
  patientId: null,
  /** @type {string | null} an enrolled patient who may be given a new claim code */
  reissueFor: null,
};

/** @type {ReturnType<typeof shownOnce>} */
let reveal;
const errors = fieldErrors({ patient: { control: '#enrol-patient', error: 'enrol-patient-error' } }, 'enrol-error');

/** @param {{ uploadFor(patientId: string): void }} upload the upload card */
export function mountEnrolCard(upload) {
  reveal = shownOnce('enrol', 'Claim code');
  $('enrol-form').addEventListener('submit', onSubmit);
  $('enrol-copy').addEventListener('click', () => reveal.copy());
  $('enrol-done').addEventListener('click', () => {
    reveal.hide();
    $('enrol-status').textContent = 'The claim code is no longer shown.';
    $('enrol-patient').focus();
  });
  $('enrol-reissue').addEventListener('click', onReissue);
  $('enrol-upload').addEventListener('click', () => {
    if (state.patientId) upload.uploadFor(state.patientId);
  });
  clearWhenValid('enrol-patient', validatePatientId);
}

/** @param {boolean} busy */
function render(busy) {
  state.busy = busy;
  setBusy('enrol-submit', busy, 'Enrolling…', 'Enrol patient');
}

/** @param {SubmitEvent} event */
async function onSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  errors.clear();
  reveal.hide();
  offerReissue(null);
  const patientId = $input('enrol-patient').value.trim();
  const problem = validatePatientId(patientId);
  if (problem) {
    errors.show('patient', problem);
    $('enrol-status').textContent = 'Not enrolled: please correct the highlighted field.';
    return;
  }
  render(true);
  $('enrol-status').textContent = `Enrolling ${patientId}…`;
  try {
    const { data } = await api('/patients', { method: 'POST', json: { patientId } });
    state.patientId = data.patientId;
    $input('enrol-patient').value = '';
    $('enrol-status').textContent = `${data.patientId} is enrolled. Their claim code is shown below, once.`;
    showClaimCode('enrol', data.patientId, data.claimCode, data.claimExpiresAt);
    reveal.show(`${data.patientId} is enrolled`, groupClaimCode(String(data.claimCode ?? '')));
  } catch (error) {
    const problem = asApiError(error);
    const { field, text } = describeError(problem, { action: 'enrol', patientId });
    errors.show(field, text);
    $('enrol-status').textContent = 'Not enrolled.';
    if (problem.code === 'ALREADY_EXISTS') offerReissue(patientId);
  } finally {
    render(false);
  }
}

/** "Give <patient> a new claim code", offered when they are already enrolled. @param {string | null} patientId */
function offerReissue(patientId) {
  state.reissueFor = patientId;
  const button = $('enrol-reissue');
  button.hidden = !patientId;
  button.textContent = patientId ? `Give ${patientId} a new claim code` : '';
}

/** A new claim code for a patient who lost theirs or signed out everywhere; older unused codes stop working. */
async function onReissue() {
  const patientId = state.reissueFor;
  if (!patientId || state.busy) return;
  state.busy = true;
  errors.clear();
  try {
    const { data } = await api(`/patients/${encodeURIComponent(patientId)}/claim-code`, { method: 'POST' });
    offerReissue(null);
    state.patientId = patientId;
    $input('enrol-patient').value = '';
    $('enrol-status').textContent =
      `A new claim code for ${patientId} is shown below, once. Older unused codes no longer work.`;
    showClaimCode('enrol', patientId, data.claimCode, data.claimExpiresAt);
    reveal.show(`A new claim code for ${patientId}`, groupClaimCode(String(data.claimCode ?? '')));
  } catch (error) {
    const { field, text } = describeError(asApiError(error), { action: 'reissue', patientId });
    errors.show(field, text);
  } finally {
    state.busy = false;
  }
}
