// @ts-check
/** The emergency (break-glass) dialog: the reason travels in X-Break-Glass-Reason. */

import { $, $dialog, $textarea, fieldErrors } from '../dom.js';
import { MAX_REASON_CHARS, normaliseReason } from '../emergency-reason.js';

/** @typedef {{ patientId: string, chain: string }} RefusedRead  the read refused for want of consent */

const errors = fieldErrors(
  { reason: { control: '#emergency-reason', error: 'emergency-reason-error' } },
  'emergency-reason-error',
);

const state = {
  /** @type {RefusedRead | null} */
  refused: null,
};

/** @param {(refused: RefusedRead, reason: string) => void} confirmed the read to make, with its reason */
export function mountEmergencyDialog(confirmed) {
  $('emergency-form').addEventListener('submit', (event) => {
    event.preventDefault();
    errors.clear();
    const refused = state.refused;
    if (!refused) return;
    const { reason, problem } = normaliseReason($textarea('emergency-reason').value);
    if (problem !== undefined) {
      errors.show('reason', problem);
      return;
    }
    $dialog('emergency-dialog').close();
    confirmed(refused, reason);
  });
  $('emergency-cancel').addEventListener('click', () => {
    $dialog('emergency-dialog').close();
    $('emergency-open').focus();
  });
  $('emergency-reason').addEventListener('input', renderCount);
}

/**
 * @param {RefusedRead | null} refused
 * @param {{ error?: string }} [options] the server's sentence when it refused the reason
 */
export function openEmergencyDialog(refused, { error } = {}) {
  state.refused = refused;
  if (!refused) return;
  $('emergency-title').textContent = `Emergency access to ${refused.patientId}’s records`;
  errors.clear();
  if (!error) $textarea('emergency-reason').value = '';
  renderCount();
  const dialog = $dialog('emergency-dialog');
  if (!dialog.open) dialog.showModal();
  if (error) errors.show('reason', error);
  else $('emergency-reason').focus();
}

/** The counter, and the error cleared as soon as what was typed would pass. */
function renderCount() {
  const input = $textarea('emergency-reason');
  const length = input.value.length;
  if (length > 0 && input.getAttribute('aria-invalid') === 'true' && !normaliseReason(input.value).problem) {
    errors.clear();
  }
  $('emergency-reason-count').textContent = `${length} of ${MAX_REASON_CHARS} characters`;
}
