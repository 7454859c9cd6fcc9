// @ts-check
/**
 * The signed-in person's own access: claiming a code (from the sign-in card), their token shown
 * once, "New token" (POST /me/token), "Sign out everywhere" (DELETE /me/tokens) and the line
 * that says who created them and when they claimed.
 */

import { api, asApiError, token } from './api.js';
import { shownOnce, normalizeClaimCode } from './cards/shown-once.js';
import { $, $input, fieldErrors, setBusy } from './dom.js';
import { formatDate } from './format.js';
import { describeError } from './problem-text.js';

/** Set just before a reload, so the fresh page shows the token (already in sessionStorage) once. */
const SHOW_TOKEN_KEY = 'emr.showTokenOnce';
const CLAIM_FORMAT = 'A claim code has 20 letters and digits, like 7K3M-Q9XD-2HRT-8WBN-4FZC. Check it and try again.';

/**
 * @typedef {import('./identity.js').Me} Me
 * @typedef {{ signedIn(me: Me, options: { focus: boolean }): void, reloadIfEnded(): boolean,
 *   signOut(notice: 'signed-out' | 'everywhere'): void }} AccountHooks
 */

const errors = fieldErrors({ code: { control: '#claim-code', error: 'claim-code-error' } }, 'claim-error');
const state = { claiming: false, busy: false };
/** @type {ReturnType<typeof shownOnce>} */
let reveal;
/** @type {AccountHooks} */
let hooks;

/** @param {AccountHooks} session */
export function mountAccount(session) {
  hooks = session;
  reveal = shownOnce('token', 'Token');
  $('claim-form').addEventListener('submit', onClaimSubmit);
  $('token-copy').addEventListener('click', () => reveal.copy());
  $('token-done').addEventListener('click', () => {
    reveal.hide();
    $('main').focus();
  });
  $('session-new-token').addEventListener('click', onNewToken);
  $('session-sign-out-all').addEventListener('click', onSignOutEverywhere);
}

/** After a reload that followed a claim: the token the claim gave, shown once. */
export function showPendingToken() {
  let pending = false;
  try {
    pending = sessionStorage.getItem(SHOW_TOKEN_KEY) === '1';
    sessionStorage.removeItem(SHOW_TOKEN_KEY);
  } catch {
    pending = false;
  }
  const current = token.get();
  if (pending && current) showToken('You are signed in. Here is your access token', current);
}

/** The account line and buttons for whoever signed in (nothing for the operator's fixed token). @param {Me | null} me */
export function renderAccount(me) {
  const own = me?.role === 'provider' || me?.role === 'patient';
  $('session-error').hidden = true;
  $('session-error').textContent = '';
  $('session-new-token').hidden = !own;
  $('session-sign-out-all').hidden = !own;
  const about = $('session-about');
  about.textContent = own && me ? aboutLine(me) : '';
  about.hidden = !about.textContent;
}

/** "Enrolled by north-clinic on 3 Dec 2026, 10:04 · claimed on 3 Dec 2026, 10:06" @param {Me} me */
function aboutLine(me) {
  if (!me.createdBy || !me.createdAt) return '';
  const who = me.role === 'patient' ? `Enrolled by ${me.createdBy}` : `Created by ${me.createdBy}`;
  const claimed = me.claimedAt ? `claimed on ${formatDate(me.claimedAt)}` : 'not claimed yet';
  return `${who} on ${formatDate(me.createdAt)} · ${claimed}`;
}

/** @param {string} heading @param {string} value */
function showToken(heading, value) {
  reveal.show(heading, value);
}

/** Takes the token off the page (sign-in card shown again). */
export function hideToken() {
  reveal?.hide();
}

/** @param {SubmitEvent} event */
async function onClaimSubmit(event) {
  event.preventDefault();
  if (state.claiming) return;
  errors.clear();
  $('claim-status').textContent = '';
  const input = $input('claim-code');
  const typed = input.value.trim();
  if (!typed) {
    errors.show('code', 'Type the claim code you were given.');
    return;
  }
  if (!normalizeClaimCode(typed)) {
    errors.show('code', CLAIM_FORMAT);
    return;
  }
  state.claiming = true;
  setBusy('claim-submit', true, 'Claiming…', 'Use claim code');
  try {
    token.clear();
    const { data } = await api('/claims', { method: 'POST', json: { claimCode: typed }, checksToken: true });
    token.save(data.token);
    input.value = '';
    if (hooks.reloadIfEnded()) {
      sessionStorage.setItem(SHOW_TOKEN_KEY, '1');
      window.location.reload();
      return;
    }
    const me = await api('/me', { checksToken: true });
    hooks.signedIn(me.data, { focus: false });
    showToken('You are signed in. Here is your access token', data.token);
  } catch (error) {
    const problem = asApiError(error);
    const { field, text } = describeError(problem, { action: 'claim' });
    errors.show(field ?? 'code', text);
    $('claim-status').textContent = 'Not signed in.';
  } finally {
    state.claiming = false;
    setBusy('claim-submit', false, 'Claiming…', 'Use claim code');
  }
}

/** A new token for this person: the one in use stops working at once. */
async function onNewToken() {
  if (state.busy) return;
  state.busy = true;
  try {
    const { data } = await api('/me/token', { method: 'POST' });
    token.save(data.token);
    showToken('Your new access token', data.token);
  } catch (error) {
    const { text } = describeError(asApiError(error), { action: 'token' });
    showAccountError(text);
  } finally {
    state.busy = false;
  }
}

/** Every token of this person stops working; the page signs out and says how to come back. */
async function onSignOutEverywhere() {
  if (state.busy) return;
  state.busy = true;
  try {
    await api('/me/tokens', { method: 'DELETE', as: 'none' });
    hooks.signOut('everywhere');
  } catch (error) {
    const { text } = describeError(asApiError(error), { action: 'token' });
    showAccountError(text);
  } finally {
    state.busy = false;
  }
}

/** @param {string} text */
function showAccountError(text) {
  $('session-error').textContent = text;
  $('session-error').hidden = false;
}
