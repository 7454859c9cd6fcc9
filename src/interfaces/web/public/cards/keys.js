// @ts-check
/**
 * A patient's own keys (issue 13, spec §1 and §4). After sign-in (GET /me):
 *   keys null                         → "Set up your keys": made here, recovery code shown once,
 *                                       confirmed, then POST /me/keys and kept in IndexedDB;
 *   registered, not in this browser   → "Restore your keys": recovery code → GET /me/key-backup;
 *   registered and here               → nothing to do: "My records" and "Upload to my record" work.
 * The two cards that need the keys stay hidden until then. `main[data-keys]` says where it is
 * (checking, setup, restore, ready, failed), for people reading the DOM and for the browser suite.
 */

import { api, asApiError } from '../api.js';
import { createEpoch } from '../crypto/epochs.js';
import { createPatientKeys, openKeyStore, registrationProof } from '../crypto/patient-keys.js';
import { normaliseRecoveryCode, unwrapKeyBackup } from '../crypto/recovery.js';
import { $, $input, fieldErrors, setBusy } from '../dom.js';
import { describeError } from '../problem-text.js';
import { fromBase64, fromHex0x, sameBytes, toBase64, toHex0x } from '../wire.js';
import { shownOnce } from './shown-once.js';

/** The cards a patient cannot use without keys in this browser. */
const CARDS_NEEDING_KEYS = ['upload-card', 'retrieve-card'];
const RECOVERY_FORMAT =
  'A recovery code has 28 letters and digits, in seven groups of four. Check what you wrote down and try again.';
const WRONG_RECOVERY_CODE =
  'This recovery code does not open your keys. Check each group against what you wrote down and try again; nothing was stored.';

/**
 * @typedef {import('../identity.js').Me} Me
 * @typedef {{ patientId: string, encryption: { privateKey: CryptoKey, publicKey: Uint8Array },
 *   signing: { privateKey: CryptoKey, publicKey: Uint8Array }, storedAt: string,
 *   formerSigningPublicKeys?: Uint8Array[] }} StoredKeys
 * @typedef {{ keys: { encryption: StoredKeys['encryption'], signing: StoredKeys['signing'] },
 *   backup: Uint8Array, recoveryCode: string }} CreatedKeys
 * @typedef {'none' | 'checking' | 'setup' | 'restore' | 'ready' | 'failed'} KeysStep
 */

const state = {
  /** @type {Me | null} */
  me: null,
  /** @type {StoredKeys | null} this patient's keys, once this browser holds them */
  keys: null,
  /** @type {CreatedKeys | null} made, recovery code shown, not yet registered */
  pending: null,
  busy: false,
  /** Bumped on every sign-in: an answer for an earlier one is dropped. */
  generation: 0,
};

const confirmErrors = fieldErrors(
  { confirm: { control: '#keys-confirm', error: 'keys-confirm-error' } },
  'keys-setup-error',
);
const restoreErrors = fieldErrors(
  { code: { control: '#keys-restore-code', error: 'keys-restore-code-error' } },
  'keys-restore-error',
);
/** @type {ReturnType<typeof shownOnce>} */
let reveal;
/** @type {ReturnType<typeof openKeyStore> | null} one connection for the page's life */
let store = null;

/** This browser's key store (IndexedDB), opened once; a failed open is tried again next time. */
function keyStore() {
  store ??= openKeyStore().catch((error) => {
    store = null;
    throw error;
  });
  return store;
}
/** @type {() => void} */
let onReady = () => {};

/** @param {{ ready(): void }} listener told when the patient has just set up or restored their keys here */
export function mountKeysCard(listener) {
  onReady = listener.ready;
  reveal = shownOnce('recovery', 'Recovery code');
  $('keys-create').addEventListener('click', onCreate);
  $('recovery-copy').addEventListener('click', () => reveal.copy());
  $('keys-confirm-form').addEventListener('submit', onConfirm);
  $('keys-restore-form').addEventListener('submit', onRestore);
}

/** The signed-in patient's keys, or null until this browser holds them. */
export function ownKeys() {
  return state.keys;
}

/**
 * Called on every role change and sign-in: a patient's keys are looked up; anyone else sees
 * no keys card. Resolves once the page knows which step it is at.
 * @param {Me | null} me
 */
export async function checkKeys(me) {
  const generation = ++state.generation;
  state.me = me;
  state.keys = null;
  state.pending = null;
  reveal?.hide();
  if (me?.role !== 'patient' || !me.id) {
    show('none');
    return;
  }
  show('checking');
  $('keys-checking').textContent = 'Looking for your keys in this browser…';
  try {
    if (!me.keys) {
      show('setup');
      return;
    }
    const stored = await (await keyStore()).get(me.id);
    if (generation !== state.generation) return;
    if (stored && matchesRegistered(stored, me)) {
      ready(stored);
      return;
    }
    show('restore');
  } catch {
    if (generation !== state.generation) return;
    show('failed');
    $('keys-checking').textContent =
      'This browser cannot keep your keys (its storage is turned off or full), so your records cannot be opened here. Try another browser, or allow this site to store data.';
  }
}

/** @param {StoredKeys} stored @param {Me} me */
function matchesRegistered(stored, me) {
  if (!me.keys) return false;
  return (
    sameBytes(stored.encryption.publicKey, fromHex0x(me.keys.encryptionPublicKey)) &&
    sameBytes(stored.signing.publicKey, fromHex0x(me.keys.signingPublicKey))
  );
}

/** @param {KeysStep} step */
function show(step) {
  $('main').dataset.keys = step;
  const patient = step !== 'none';
  const card = $('keys-card');
  card.hidden = !patient || step === 'ready';
  $('keys-title').textContent = step === 'restore' ? 'Restore your keys' : 'Set up your keys';
  $('keys-checking').hidden = step !== 'checking' && step !== 'failed';
  if (step !== 'checking' && step !== 'failed') $('keys-checking').textContent = '';
  $('keys-setup').hidden = step !== 'setup';
  $('keys-restore-form').hidden = step !== 'restore';
  if (step !== 'setup') {
    $('keys-create').hidden = false;
    $('keys-setup-status').textContent = '';
    confirmErrors.clear();
  }
  if (step !== 'restore') {
    restoreErrors.clear();
    $input('keys-restore-code').value = '';
    $('keys-restore-status').textContent = '';
  }
  // applyRole has already shown the patient's cards; those that need keys wait for them.
  if (patient) for (const id of CARDS_NEEDING_KEYS) $(id).hidden = step !== 'ready';
}

/** @param {StoredKeys} keys */
function ready(keys) {
  state.keys = keys;
  state.pending = null;
  show('ready');
}

/** "Create my keys": made here, the recovery code shown once; nothing is sent yet. */
async function onCreate() {
  if (state.busy || state.pending) return;
  state.busy = true;
  confirmErrors.clear();
  setBusy('keys-create', true, 'Creating your keys…', 'Create my keys');
  try {
    state.pending = /** @type {CreatedKeys} */ (await createPatientKeys());
    $('keys-create').hidden = true;
    $('keys-setup-status').textContent = '';
    reveal.show('Your recovery code', state.pending.recoveryCode);
  } catch {
    confirmErrors.show(null, 'Your keys could not be created in this browser. Reload the page and try again.');
  } finally {
    state.busy = false;
    setBusy('keys-create', false, 'Creating your keys…', 'Create my keys');
  }
}

/** @param {SubmitEvent} event */
async function onConfirm(event) {
  event.preventDefault();
  const pending = state.pending;
  const me = state.me;
  if (state.busy || !pending || !me?.id) return;
  confirmErrors.clear();
  const typed = $input('keys-confirm').value;
  const lastGroup = normalisedGroup(pending.recoveryCode.split('-').pop() ?? '');
  if (!typed.trim()) {
    confirmErrors.show('confirm', 'Type the last four characters of your recovery code.');
    return;
  }
  if (normalisedGroup(typed) !== lastGroup) {
    confirmErrors.show(
      'confirm',
      'That is not the last group of your recovery code. Check what you wrote down against the code above.',
    );
    return;
  }
  state.busy = true;
  const generation = state.generation;
  setBusy('keys-confirm-submit', true, 'Registering your keys…', 'I have written it down: finish');
  $('keys-setup-status').textContent = 'Registering your keys…';
  try {
    const { encryption, signing } = pending.keys;
    const proof = await registrationProof(signing.privateKey, me.id, encryption.publicKey, signing.publicKey);
    const epoch = await firstEpoch(me, encryption.publicKey);
    const { data: registered } = await api('/me/keys', {
      method: 'POST',
      json: {
        encryptionPublicKey: toHex0x(encryption.publicKey),
        signingPublicKey: toHex0x(signing.publicKey),
        proof: toHex0x(proof),
        backup: toBase64(pending.backup),
        epoch: { publicKey: toHex0x(epoch.publicKey), slots: epoch.slots.map(toBase64) },
      },
    });
    /** @type {StoredKeys} */
    const stored = { patientId: me.id, encryption, signing, storedAt: new Date().toISOString() };
    await (await keyStore()).put(stored);
    if (generation !== state.generation) return;
    // GET /me said "no keys" at sign-in; the consents card checks signatures against these now.
    me.keys = {
      encryptionPublicKey: toHex0x(encryption.publicKey),
      signingPublicKey: toHex0x(signing.publicKey),
      registeredAt: String(registered?.registeredAt ?? new Date().toISOString()),
    };
    $input('keys-confirm').value = '';
    reveal.hide();
    $('keys-setup-status').textContent = '';
    ready(stored);
    onReady();
    $('retrieve-title').focus();
  } catch (error) {
    if (generation !== state.generation) return;
    $('keys-setup-status').textContent = 'Your keys are not set up yet.';
    const problem = asApiError(error);
    if (problem.code === 'KEYS_ALREADY_REGISTERED') {
      // Set up meanwhile in another tab or browser: this browser restores those keys instead.
      reveal.hide();
      state.pending = null;
      show('restore');
      restoreErrors.show(
        null,
        'Your keys were already set up, in another tab or browser. Type the recovery code shown there to use them here.',
      );
      return;
    }
    confirmErrors.show(null, describeError(problem, { action: 'keys' }).text);
  } finally {
    state.busy = false;
    setBusy('keys-confirm-submit', false, 'Registering your keys…', 'I have written it down: finish');
  }
}

/**
 * Epoch 0 (issue 14): a key pair made here whose private half is sealed to the patient's own
 * encryption key alone; the ledgers get its public half and that one slot. Providers get slots
 * later, one per grant. The epoch's scalar is wiped inside createEpoch.
 * @param {Me} me
 * @param {Uint8Array} encryptionPublicKey
 */
function firstEpoch(me, encryptionPublicKey) {
  if (!me.patientKey) throw new Error('GET /me named no patient key');
  return createEpoch({
    patientKey: fromHex0x(me.patientKey),
    index: 0,
    recipientPublicKeys: [encryptionPublicKey],
  });
}

/** @param {string} text */
function normalisedGroup(text) {
  return text
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

/** @param {SubmitEvent} event */
async function onRestore(event) {
  event.preventDefault();
  const me = state.me;
  if (state.busy || !me?.id || !me.keys) return;
  restoreErrors.clear();
  const typed = $input('keys-restore-code').value;
  if (!typed.trim()) {
    restoreErrors.show('code', 'Type the recovery code you wrote down when you set up your keys.');
    return;
  }
  let recoveryCode;
  try {
    recoveryCode = normaliseRecoveryCode(typed);
  } catch {
    restoreErrors.show('code', RECOVERY_FORMAT);
    return;
  }
  state.busy = true;
  const generation = state.generation;
  setBusy('keys-restore-submit', true, 'Restoring…', 'Restore my keys');
  $('keys-restore-status').textContent = 'Unlocking your keys…';
  try {
    const { data } = await api('/me/key-backup');
    const encryptionPublicKey = fromHex0x(String(data.encryptionPublicKey));
    const signingPublicKey = fromHex0x(String(data.signingPublicKey));
    /** @type {{ encryption: StoredKeys['encryption'], signing: StoredKeys['signing'] }} */
    let unwrapped;
    try {
      unwrapped = await unwrapKeyBackup({
        recoveryCode,
        backup: fromBase64(String(data.backup)),
        encryptionPublicKey,
        signingPublicKey,
      });
    } catch {
      if (generation !== state.generation) return;
      restoreErrors.show('code', WRONG_RECOVERY_CODE);
      $('keys-restore-status').textContent = 'Not restored.';
      return;
    }
    // Signing keys replaced before: the patient's uploads signed with them still verify in this browser.
    /** @type {unknown[]} */
    const former = Array.isArray(data.formerSigningKeys) ? data.formerSigningKeys : [];
    const formerSigningPublicKeys = former.map((key) => fromHex0x(String(key)));
    /** @type {StoredKeys} */
    const stored = { patientId: me.id, ...unwrapped, formerSigningPublicKeys, storedAt: new Date().toISOString() };
    // The backup must hold the keys the service has on record for this patient, else nothing is kept.
    if (!matchesRegistered(stored, me)) {
      restoreErrors.show(
        null,
        'The keys this recovery code opened are not the ones registered for you, so nothing was stored. Sign in again and retry.',
      );
      $('keys-restore-status').textContent = 'Not restored.';
      return;
    }
    await (await keyStore()).put(stored);
    if (generation !== state.generation) return;
    $input('keys-restore-code').value = '';
    $('keys-restore-status').textContent = '';
    ready(stored);
    onReady();
    $('retrieve-title').focus();
  } catch (error) {
    if (generation !== state.generation) return;
    $('keys-restore-status').textContent = 'Not restored.';
    restoreErrors.show(null, describeError(asApiError(error), { action: 'keys' }).text);
  } finally {
    state.busy = false;
    setBusy('keys-restore-submit', false, 'Restoring…', 'Restore my keys');
  }
}
