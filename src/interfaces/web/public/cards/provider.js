// @ts-check
/** Admin: create a provider (the operator reads nothing medical). */

import { api, asApiError } from '../api.js';
import { $, $input, clearWhenValid, fieldErrors, setBusy } from '../dom.js';
import { describeError } from '../problem-text.js';
import { MAX_PROVIDER_NAME_CHARS, validateProviderId } from '../validation.js';
import { claimCodeReissue, groupClaimCode, showClaimCode, shownOnce } from './shown-once.js';

const state = {
  busy: false,
};

/** @type {ReturnType<typeof shownOnce>} */
let reveal;
/** @type {ReturnType<typeof claimCodeReissue>} */
let reissue;
const errors = fieldErrors(
  {
    provider: { control: '#provider-id', error: 'provider-id-error' },
    name: { control: '#provider-name', error: 'provider-name-error' },
  },
  'provider-error',
);

export function mountProviderCard() {
  reveal = shownOnce('provider', 'Claim code');
  $('provider-form').addEventListener('submit', onSubmit);
  $('provider-copy').addEventListener('click', () => reveal.copy());
  $('provider-done').addEventListener('click', () => {
    reveal.hide();
    $('provider-status').textContent = 'The claim code is no longer shown.';
    $('provider-id').focus();
  });
  reissue = claimCodeReissue({
    prefix: 'provider',
    path: (providerId) => `/providers/${encodeURIComponent(providerId)}/claim-code`,
    reveal,
    busy: { get: () => state.busy, set: (busy) => (state.busy = busy) },
    errors,
    describe: (error, providerId) => describeError(error, { action: 'create-provider', providerId }),
    onIssued: () => {
      $input('provider-id').value = '';
      $input('provider-name').value = '';
    },
  });
  clearWhenValid('provider-id', validateProviderId);
}

/** @param {boolean} busy */
function render(busy) {
  state.busy = busy;
  setBusy('provider-submit', busy, 'Creating…', 'Create provider');
}

/** @param {SubmitEvent} event */
async function onSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  errors.clear();
  reveal.hide();
  reissue.offer(null);
  const providerId = $input('provider-id').value.trim();
  const name = $input('provider-name').value.trim();
  /** @type {[string, string][]} */
  const problems = [];
  const idProblem = validateProviderId(providerId);
  if (idProblem) problems.push(['provider', idProblem]);
  if (!name) problems.push(['name', 'Enter the provider’s name.']);
  else if (name.length > MAX_PROVIDER_NAME_CHARS)
    problems.push(['name', `Shorten the name to ${MAX_PROVIDER_NAME_CHARS} characters or fewer.`]);
  if (problems.length > 0) {
    problems.forEach(([field, text], index) => errors.show(field, text, { focus: index === 0 }));
    $('provider-status').textContent = 'Not created: please correct the highlighted field.';
    return;
  }

  render(true);
  $('provider-status').textContent = `Creating ${providerId}…`;
  try {
    const { data } = await api('/providers', { method: 'POST', json: { providerId, name } });
    $input('provider-id').value = '';
    $input('provider-name').value = '';
    $('provider-status').textContent = `Provider ${data.providerId} created. Its claim code is shown below, once.`;
    showClaimCode('provider', name, data.claimCode, data.claimExpiresAt);
    reveal.show(`${name} (${data.providerId}) can now sign in`, groupClaimCode(String(data.claimCode ?? '')));
  } catch (error) {
    const problem = asApiError(error);
    const { field, text } = describeError(problem, { action: 'create-provider', providerId });
    errors.show(field, text);
    $('provider-status').textContent = 'Not created.';
    if (problem.code === 'ALREADY_EXISTS') reissue.offer(providerId);
  } finally {
    render(false);
  }
}
