// @ts-check
/**
 * Sign-in, sign-out and roles. What the page shows depends on who signed in (GET /api/v1/me):
 *   admin    → Create a provider (nothing medical)
 *   provider → Enrol a patient, Upload, Retrieve (with emergency access when consent is missing)
 *   patient  → Upload to and read their own record, Consents, Access log
 *   open     → a server without access control (GET /me answers 404): Upload and Retrieve
 */

import { hideToken, mountAccount, renderAccount, showPendingToken } from './account.js';
import { api, ApiError, asApiError, onUnauthenticated, token } from './api.js';
import { $, $input, fieldErrors } from './dom.js';
import { identity } from './identity.js';
import { describeError } from './problem-text.js';

/** Set just before the sign-out reload, so the fresh page can say what happened. */
const SIGNED_OUT_KEY = 'emr.signedOut';
const SESSION_ENDED = 'Your session has ended. Sign in again to continue.';
/** @type {Record<string, string>} */
const SIGNED_OUT_NOTICES = {
  'signed-out': 'You have signed out. Nothing from your session is left on this page.',
  everywhere:
    'You have signed out everywhere: none of your tokens works any more, on any device. To sign in again, ask for a new claim code.',
};

/**
 * @typedef {import('./identity.js').Me} Me
 * @typedef {import('./identity.js').Role} Role
 * @typedef {{ roleChanged(role: Role | null): void, signedIn(me: Me): void }} SessionListener
 */

const errors = fieldErrors(
  { token: { control: '#sign-in-token', error: 'sign-in-token-error' } },
  'sign-in-token-error',
);

/** @type {SessionListener} */
let listener = { roleChanged() {}, signedIn() {} };

/** @param {SessionListener} cards told when the role changes and when someone has signed in */
export function mountSession(cards) {
  listener = cards;
  onUnauthenticated(endSession);
  $('sign-in-form').addEventListener('submit', onSignInSubmit);
  $('session-sign-out').addEventListener('click', () => signOut('signed-out'));
  mountAccount({ signedIn: showSignedIn, reloadIfEnded: () => identity.ended, signOut });
  return detectAuth();
}

/** Shows the cards meant for this role, and only those. @param {Role | null} role */
function applyRole(role) {
  identity.role = role;
  $('main').dataset.role = role ?? 'none';
  for (const card of document.querySelectorAll('[data-roles]')) {
    if (card instanceof HTMLElement) card.hidden = !role || !(card.dataset.roles ?? '').split(/\s+/).includes(role);
  }
  const stacks = Array.from(document.querySelectorAll('.stack')).filter((s) => s instanceof HTMLElement);
  for (const stack of stacks) {
    stack.hidden = !Array.from(stack.children).some((child) => child instanceof HTMLElement && !child.hidden);
  }
  $('cards').classList.toggle('cards--single', stacks.filter((stack) => !stack.hidden).length < 2);
  listener.roleChanged(role);
}

async function detectAuth() {
  /** @type {string | null} */
  let signedOut = null;
  try {
    signedOut = sessionStorage.getItem(SIGNED_OUT_KEY);
    sessionStorage.removeItem(SIGNED_OUT_KEY);
  } catch {
    signedOut = null;
  }
  let me;
  try {
    me = await api('/me', { checksToken: true });
  } catch (error) {
    const status = error instanceof ApiError ? error.status : null;
    if (status === 404 || status === 0) {
      applyRole('open'); // no access control (yet), or offline: the page works as before
      return;
    }
    token.clear();
    const notice = signedOut
      ? (SIGNED_OUT_NOTICES[signedOut] ?? SIGNED_OUT_NOTICES['signed-out'])
      : status === 401
        ? ''
        : describeError(asApiError(error), { action: 'sign-in' }).text;
    showSignIn({ focus: Boolean(signedOut), notice });
    return;
  }
  showSignedIn(me.data, { focus: false });
  showPendingToken();
}

/**
 * Reveals the sign-in card; on load when the API wants a token, and on any 401.
 * @param {{ focus?: boolean, notice?: string }} [options]
 */
function showSignIn({ focus = true, notice = '' } = {}) {
  applyRole(null);
  $('sign-in').hidden = false;
  $('session').hidden = false;
  $('session-who').textContent = 'Not signed in';
  $('session-sign-out').hidden = true;
  renderAccount(null);
  hideToken();
  $('sign-in-notice').textContent = notice;
  $('sign-in-notice').hidden = !notice;
  if (focus) $('sign-in-token').focus();
}

/** @param {Me | null} me @param {{ focus: boolean }} options */
function showSignedIn(me, { focus }) {
  identity.me = me;
  $('sign-in').hidden = true;
  $('session').hidden = false;
  $('session-who').textContent = me?.id ? `Signed in as ${me.id}${me.role ? ` (${me.role})` : ''}` : 'Signed in';
  $('session-sign-out').hidden = false;
  renderAccount(me);
  $('sign-in').hidden = true;
  applyRole(me?.role ?? null);
  if (me) listener.signedIn(me);
  if (focus) {
    /** @type {Record<string, string>} */
    const firstFocus = { admin: 'provider-id', provider: 'enrol-patient', patient: 'retrieve-title' };
    $(firstFocus[me?.role ?? ''] ?? 'main').focus();
  }
}

/** The one reaction to a 401 anywhere: the token is missing, expired or revoked. */
function endSession() {
  token.clear();
  identity.ended = true;
  showSignIn({ focus: true, notice: SESSION_ENDED });
}

/** @param {SubmitEvent} event */
async function onSignInSubmit(event) {
  event.preventDefault();
  errors.clear();
  const input = $input('sign-in-token');
  const pasted = input.value.trim();
  if (!pasted) {
    errors.show('token', 'Paste your access token.');
    return;
  }
  token.save(pasted);
  try {
    const { data } = await api('/me', { checksToken: true });
    input.value = '';
    // Someone's session ended in this tab: start from a clean page, so nothing of theirs stays.
    if (identity.ended) {
      window.location.reload();
      return;
    }
    $('sign-in-notice').hidden = true;
    showSignedIn(data, { focus: true });
  } catch (error) {
    token.clear();
    const problem = asApiError(error);
    const text =
      problem.status === 401
        ? 'This token was not recognised. Check that it was pasted in full and try again.'
        : describeError(problem, { action: 'sign-in' }).text;
    errors.show('token', text);
  }
}

/**
 * Signing out reloads the page: records, tokens shown once and blob: URLs all go with it.
 * @param {'signed-out' | 'everywhere'} how
 */
function signOut(how) {
  token.clear();
  try {
    sessionStorage.setItem(SIGNED_OUT_KEY, how);
  } catch {
    /* the notice is a nicety */
  }
  window.location.reload();
}
