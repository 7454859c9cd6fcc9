// @ts-check
/** Provider: enrol a patient, and show the patient's claim code once (never their token). */

import { api, asApiError } from '../api.js';
import { $, $input, clearWhenValid, fieldErrors, setBusy } from '../dom.js';
import { describeError } from '../problem-text.js';
import { validatePatientId } from '../validation.js';
import { claimCodeReissue, groupClaimCode, showClaimCode, shownOnce } from './shown-once.js';

const state = {
  busy: false,
  /** @type {string | null} the patient just enrolled */
  patientId: null,
};

/** @type {ReturnType<typeof shownOnce>} */
let reveal;
/** @type {ReturnType<typeof claimCodeReissue>} */
let reissue;
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
  reissue = claimCodeReissue({
    prefix: 'enrol',
    path: (patientId) => `/patients/${encodeURIComponent(patientId)}/claim-code`,
    reveal,
    busy: { get: () => state.busy, set: (busy) => (state.busy = busy) },
    errors,
    describe: (error, patientId) => describeError(error, { action: 'reissue', patientId }),
    onIssued: (patientId) => {
      state.patientId = patientId;
      $input('enrol-patient').value = '';
    },
  });
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
  reissue.offer(null);
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
    if (problem.code === 'ALREADY_EXISTS') reissue.offer(patientId);
  } finally {
    render(false);
  }
}
