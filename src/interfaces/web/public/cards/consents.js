// @ts-check
/**
 * Patient: the providers they allow to read all their records, granting and revoking. Since
 * issue 14 both are signed here with the patient's own key (signed-consent.js) and the service
 * only relays them; each consent shows whether its signature on the ledgers verifies against the
 * patient's registered signing key, and the history lists every grant and revocation the ledgers
 * recorded, each signature checked here too.
 */

import { accessPath, api, ApiError, asApiError } from '../api.js';
import { $, $dialog, $input, clearWhenValid, el, fieldErrors, fromTemplate, setBusy, timeElement } from '../dom.js';
import { formatDate, ledgerLabel } from '../format.js';
import { identity } from '../identity.js';
import { describeError } from '../problem-text.js';
import { ConsentChangeError, signedGrant, signedRevoke, verifyChange } from '../signed-consent.js';
import { validateProviderId } from '../validation.js';
import { ownKeys } from './keys.js';

/**
 * GET …/consents, one item.
 * @typedef {{ providerId?: string, grantedAt?: string, expiresAt?: string | null, active?: boolean,
 *   chains?: string[] }} Consent
 */

/**
 * @typedef {import('../signed-consent.js').ConsentChange} ConsentChange
 * @typedef {ConsentChange & { verified: boolean }} CheckedChange
 */

const NO_KEYS_HERE =
  'Your consent is signed with your own keys, and this browser does not hold them yet. Set up or restore your keys above, then try again.';

const state = {
  /** @type {Consent[]} */
  items: [],
  /** @type {CheckedChange[] | null} the ledgers' history, signatures checked; null until loaded */
  history: null,
  /** Bumped on every load: an answer for an earlier one is dropped. */
  generation: 0,
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
  const generation = ++state.generation;
  $('consents-error').hidden = true;
  $('consents-status').textContent = 'Loading your consents…';
  const history = loadHistory(patientId, generation);
  try {
    const { data } = await api(accessPath(patientId, 'consents'));
    if (generation !== state.generation) return;
    state.items = Array.isArray(data) ? data : [];
    render();
    $('consents-status').textContent = '';
  } catch (error) {
    if (generation === state.generation) showListError(describeError(asApiError(error), { action: 'consents' }).text);
  }
  await history;
}

/**
 * GET …/consents/history, every signature verified here against the patient's own registered
 * signing key (GET /me), not against anything the history itself says.
 * @param {string} patientId
 * @param {number} generation
 */
async function loadHistory(patientId, generation) {
  $('consent-history-status').textContent = 'Loading the history from the ledgers…';
  try {
    const { data } = await api(accessPath(patientId, 'consents/history'));
    const changes = /** @type {ConsentChange[]} */ (Array.isArray(data) ? data : []);
    const keys = identity.me?.keys;
    const patientKey = identity.me?.patientKey;
    const checked = await Promise.all(
      changes.map(async (change) => ({
        ...change,
        verified:
          keys && patientKey
            ? await verifyChange(change, { signingPublicKey: keys.signingPublicKey, patientKey })
            : false,
      })),
    );
    if (generation !== state.generation) return;
    state.history = newestFirst(checked);
    render();
    $('consent-history-status').textContent = '';
  } catch (error) {
    if (generation !== state.generation) return;
    state.history = null;
    render();
    $('consent-history-status').textContent = describeError(asApiError(error), { action: 'consents' }).text;
  }
}

/**
 * Newest first by time; within one ledger the nonce orders changes made in the same second.
 * @param {CheckedChange[]} changes
 */
function newestFirst(changes) {
  return [...changes].sort((a, b) => {
    const byTime = Date.parse(b.at) - Date.parse(a.at);
    if (byTime !== 0) return byTime;
    return a.chain === b.chain ? Number(BigInt(b.nonce) - BigInt(a.nonce)) : 0;
  });
}

function render() {
  const list = $('consent-list');
  list.replaceChildren(...state.items.map(consentItem));
  list.hidden = state.items.length === 0;
  $('consents-empty').hidden = state.items.length > 0;
  const history = state.history ?? [];
  const changes = $('consent-history');
  changes.replaceChildren(...history.map(changeItem));
  changes.hidden = history.length === 0;
  $('consent-history-empty').hidden = state.history === null || history.length > 0;
}

/**
 * The signature status of a consent: its latest grant on each ledger, as the history has it.
 * @param {string} providerId
 * @returns {{ verified: boolean | null, text: string }} verified null: nothing to check (yet)
 */
function signatureStatus(providerId) {
  if (state.history === null) return { verified: null, text: 'Checking your signature…' };
  /** @type {Map<string, CheckedChange>} */
  const latest = new Map();
  for (const change of state.history) {
    if (change.action === 'grant' && change.providerId === providerId && !latest.has(change.chain))
      latest.set(change.chain, change);
  }
  if (latest.size === 0)
    return { verified: false, text: '⚠ No signature of yours for this consent was found on the ledgers.' };
  const failed = [...latest.values()].filter((change) => !change.verified).map((change) => ledgerLabel(change.chain));
  if (failed.length > 0) {
    return {
      verified: false,
      text: `⚠ The signature on ${failed.join(' and ')} does not verify against your key: you may not have given this consent. Revoke it, and tell your clinic.`,
    };
  }
  return { verified: true, text: '✓ Signed by you — verified' };
}

/**
 * @param {HTMLElement} node
 * @param {{ verified: boolean | null, text: string }} status
 */
function showSignature(node, status) {
  node.textContent = status.text;
  node.dataset.verified = String(status.verified);
  if (status.verified === true) node.classList.add('signature--verified');
  if (status.verified === false) node.classList.add('signature--warning');
}

/** @param {CheckedChange} change */
function changeItem(change) {
  const { root, part } = fromTemplate('consent-change-template');
  const provider = change.providerId ?? 'a provider this service does not know';
  root.dataset.action = change.action;
  root.dataset.chain = change.chain;
  root.classList.add(change.action === 'grant' ? 'consent-change--grant' : 'consent-change--revoke');
  if (!change.verified) root.classList.add('consent-change--unverified');
  const what = part('what');
  if (change.action === 'grant') {
    what.append('You gave ', el('strong', { text: provider }), ' consent');
    what.append(
      change.expiresAt ? ' until ' : ' until you revoke it',
      change.expiresAt ? timeElement(change.expiresAt) : '',
    );
  } else {
    what.append('You revoked the consent of ', el('strong', { text: provider }));
  }
  part('meta').append(timeElement(change.at, { seconds: true }), ` on ${ledgerLabel(change.chain)}`);
  showSignature(
    part('signature'),
    change.verified
      ? { verified: true, text: '✓ Signed by you — verified' }
      : { verified: false, text: '⚠ This signature does not verify against your key.' },
  );
  return root;
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
  showSignature(part('signature'), signatureStatus(providerId));
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
    const keys = ownKeys();
    if (!keys) throw new ConsentChangeError('NO_KEYS');
    $('grant-status').textContent = `Signing consent for ${providerId} with your key…`;
    const context = await consentContext(patientId, providerId);
    const body = await signedGrant(context, keys, { providerId, expiresAt: expiry.expiresAt });
    $('grant-status').textContent = `Giving ${providerId} consent…`;
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
    loadHistory(patientId, state.generation);
  } catch (error) {
    const { field, text } = describeChangeError(error, { action: 'grant', providerId });
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
    const keys = ownKeys();
    if (!keys) throw new ConsentChangeError('NO_KEYS');
    const context = await consentContext(patientId, providerId);
    const body = await signedRevoke(context, keys, providerId);
    await api(accessPath(patientId, `consents/${encodeURIComponent(providerId)}/revoke`), {
      method: 'POST',
      json: body,
      as: 'none',
    });
    state.items = state.items.filter((c) => c.providerId !== providerId);
    render();
    $('consents-status').textContent =
      `Consent for ${providerId} revoked. ${providerId} can no longer read your records.`;
    $('consents-title').focus();
    loadHistory(patientId, state.generation);
  } catch (error) {
    showListError(describeChangeError(error, { action: 'revoke', providerId }).text);
    state.returnFocus?.focus();
  } finally {
    state.revoking = null;
  }
}

/**
 * GET …/consent-context for a grant or revoke of this provider: the ledgers' chain ids,
 * registries and nonces, the current epoch and who holds consent.
 * @param {string} patientId
 * @param {string} providerId
 * @returns {Promise<import('../signed-consent.js').ConsentContext>}
 */
async function consentContext(patientId, providerId) {
  const { data } = await api(accessPath(patientId, 'consent-context'), { query: { providerId } });
  return data;
}

/**
 * A failed grant or revoke in words: the service's problems as everywhere, and the steps that
 * failed in this page (no keys here, no slot of the patient's in the current epoch, the crypto).
 * @param {unknown} error
 * @param {import('../problem-text.js').ErrorContext} context
 * @returns {import('../problem-text.js').ErrorText}
 */
function describeChangeError(error, context) {
  if (error instanceof ApiError) return describeError(error, context);
  if (error instanceof ConsentChangeError) {
    switch (error.reason) {
      case 'NO_KEYS':
        return { field: null, text: NO_KEYS_HERE };
      case 'NO_OWN_SLOT':
        return {
          field: null,
          text: 'Your keys in this browser do not open the key your records are shared with, so nothing was signed. Restore your keys with your recovery code and try again.',
        };
      default:
        return {
          field: null,
          text: 'The service did not say which provider this is, so nothing was signed. Reload the page and try again.',
        };
    }
  }
  return {
    field: null,
    text: 'Your consent could not be signed in this browser, so nothing was sent. Reload the page and try again.',
  };
}
