// @ts-check
/** Patient: the providers they allow to read all their records, granting and revoking. */

import { accessPath, api, asApiError } from '../api.js';
import { $, $dialog, $input, clearWhenValid, fieldErrors, fromTemplate, setBusy, timeElement } from '../dom.js';
import { formatDate, ledgerLabel } from '../format.js';
import { identity } from '../identity.js';
import { describeError } from '../problem-text.js';
import { validateProviderId } from '../validation.js';

/**
 * GET …/consents, one item.
 * @typedef {{ providerId?: string, grantedAt?: string, expiresAt?: string | null, active?: boolean,
 *   chains?: string[] }} Consent
 */

const state = {
  /** @type {Consent[]} */
  items: [],
  busy: false,
  /** @type {string | null} the provider the revoke dialog asks about */
  revoking: null,
  /** @type {HTMLElement | null} */
  returnFocus: null,
};

const grantErrors = fieldErrors(
  {
    provider: { control: '#grant-provider', error: 'grant-provider-error' },
    expires: { control: '#grant-expires', error: 'grant-expires-error' },
  },
  'grant-error',
);

export function mountConsentsCard() {
  $('grant-form').addEventListener('submit', onGrantSubmit);
  $('revoke-form').addEventListener('submit', onRevokeConfirm);
  $('revoke-cancel').addEventListener('click', () => {
    $dialog('revoke-dialog').close();
    state.returnFocus?.focus();
  });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone)
    $('grant-expires-hint').textContent =
      `Leave empty to allow reading until you revoke consent. Date and time in your time zone (${zone}).`;
  clearWhenValid('grant-provider', validateProviderId);
}

/** @param {string} text */
function showListError(text) {
  $('consents-status').textContent = '';
  $('consents-error').textContent = text;
  $('consents-error').hidden = false;
}

export async function loadConsents() {
  const patientId = identity.me?.id;
  if (!patientId) return;
  $('consents-error').hidden = true;
  $('consents-status').textContent = 'Loading your consents…';
  try {
    const { data } = await api(accessPath(patientId, 'consents'));
    state.items = Array.isArray(data) ? data : [];
    render();
    $('consents-status').textContent = '';
  } catch (error) {
    showListError(describeError(asApiError(error), { action: 'consents' }).text);
  }
}

function render() {
  const list = $('consent-list');
  list.replaceChildren(...state.items.map(consentItem));
  list.hidden = state.items.length === 0;
  $('consents-empty').hidden = state.items.length > 0;
}

/** @param {Consent} consent */
function consentItem(consent) {
  const providerId = String(consent.providerId ?? '');
  const active = consent.active !== false;
  const chains = Array.isArray(consent.chains) ? consent.chains.map(ledgerLabel).join(' and ') : '';
  const { root, part } = fromTemplate('consent-template');
  if (!active) root.classList.add('consent--expired');
  root.dataset.providerId = providerId;
  part('provider').textContent = providerId;
  const badge = part('badge');
  badge.classList.add(active ? 'badge--ok' : 'badge--muted');
  badge.textContent = active ? 'Active' : 'Expired';
  if (consent.grantedAt) part('given').append(timeElement(consent.grantedAt));
  part('until-label').textContent = active ? 'Until' : 'Ended';
  part('until').append(consent.expiresAt ? timeElement(consent.expiresAt) : 'Until you revoke it');
  if (chains) part('chains').textContent = chains;
  else part('ledgers').remove();
  const revoke = part('revoke');
  revoke.prepend(active ? 'Revoke' : 'Remove');
  part('revoke-what').textContent = active ? ` consent for ${providerId}` : ` expired consent for ${providerId}`;
  revoke.addEventListener('click', () => askRevoke(providerId, revoke));
  return root;
}

/**
 * The datetime-local value as an ISO instant; the browser reads it in the user's time zone.
 * @param {HTMLInputElement} input
 * @returns {{ problem: string } | { problem?: undefined, expiresAt?: string }}
 */
function expiryFromInput(input) {
  if (input.validity.badInput) return { problem: 'Enter a complete date and time, or leave it empty.' };
  if (!input.value) return { expiresAt: undefined };
  const date = new Date(input.value);
  if (Number.isNaN(date.getTime())) return { problem: 'Enter a complete date and time, or leave it empty.' };
  if (date.getTime() <= Date.now()) return { problem: 'Choose a date and time in the future, or leave it empty.' };
  return { expiresAt: date.toISOString() };
}

/** @param {boolean} busy */
function setGrantBusy(busy) {
  state.busy = busy;
  setBusy('grant-submit', busy, 'Giving consent…', 'Give consent');
}

/** @param {SubmitEvent} event */
async function onGrantSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  grantErrors.clear();
  const patientId = identity.me?.id ?? '';
  const providerId = $input('grant-provider').value.trim();
  const expiry = expiryFromInput($input('grant-expires'));
  /** @type {[string, string][]} */
  const problems = [];
  const idProblem = validateProviderId(providerId);
  if (idProblem) problems.push(['provider', idProblem]);
  if (expiry.problem) problems.push(['expires', expiry.problem]);
  if (problems.length > 0 || expiry.problem !== undefined) {
    problems.forEach(([field, text], index) => grantErrors.show(field, text, { focus: index === 0 }));
    $('grant-status').textContent = 'Consent not given: please correct the highlighted field.';
    return;
  }

  setGrantBusy(true);
  $('consents-status').textContent = '';
  $('grant-status').textContent = `Giving ${providerId} consent…`;
  try {
    const body = expiry.expiresAt ? { providerId, expiresAt: expiry.expiresAt } : { providerId };
    const { data } = await api(accessPath(patientId, 'consents'), { method: 'POST', json: body });
    /** @type {Consent} */
    const granted =
      data && typeof data === 'object' ? data : { providerId, expiresAt: expiry.expiresAt ?? null, active: true };
    state.items = [granted, ...state.items.filter((c) => c.providerId !== granted.providerId)];
    render();
    $input('grant-provider').value = '';
    $input('grant-expires').value = '';
    const until = granted.expiresAt ? ` until ${formatDate(granted.expiresAt)}` : ' until you revoke it';
    $('grant-status').textContent = `${granted.providerId} can now read your records${until}.`;
  } catch (error) {
    const { field, text } = describeError(asApiError(error), { action: 'grant', providerId });
    grantErrors.show(field, text);
    $('grant-status').textContent = 'Consent not given.';
  } finally {
    setGrantBusy(false);
  }
}

/** @param {string} providerId @param {HTMLElement} button */
function askRevoke(providerId, button) {
  state.revoking = providerId;
  state.returnFocus = button;
  $('revoke-title').textContent = `Revoke consent for ${providerId}?`;
  $('revoke-text').textContent =
    `${providerId} will no longer be able to read your records, from its next attempt on. ` +
    'An emergency read stays possible, and would be flagged in your access log.';
  $dialog('revoke-dialog').showModal();
  $('revoke-cancel').focus();
}

/** @param {SubmitEvent} event */
async function onRevokeConfirm(event) {
  event.preventDefault();
  const providerId = state.revoking;
  $dialog('revoke-dialog').close();
  if (!providerId) return;
  const patientId = identity.me?.id ?? '';
  $('consents-error').hidden = true;
  $('grant-status').textContent = '';
  $('consents-status').textContent = `Revoking consent for ${providerId}…`;
  try {
    await api(accessPath(patientId, `consents/${encodeURIComponent(providerId)}`), { method: 'DELETE', as: 'none' });
    state.items = state.items.filter((c) => c.providerId !== providerId);
    render();
    $('consents-status').textContent =
      `Consent for ${providerId} revoked. ${providerId} can no longer read your records.`;
    $('consents-title').focus();
  } catch (error) {
    showListError(describeError(asApiError(error), { action: 'revoke', providerId }).text);
    state.returnFocus?.focus();
  } finally {
    state.revoking = null;
  }
}
