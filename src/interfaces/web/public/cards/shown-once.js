// @ts-check
/**
 * Something shown once, with Copy and Done: a new principal's claim code (provider and enrol
 * cards), the signed-in person's own token (after a claim, or "New token") or a patient's
 * recovery code (keys card).
 */

import { api, asApiError } from '../api.js';
import { $, $textarea } from '../dom.js';
import { formatDate } from '../format.js';

/**
 * @param {string} prefix the ids are `${prefix}-value`, `${prefix}-reveal`, `${prefix}-reveal-title`,
 *   `${prefix}-copy-status`
 * @param {'Claim code' | 'Token' | 'Recovery code'} noun what the copy status names
 */
export function shownOnce(prefix, noun) {
  const value = $textarea(`${prefix}-value`);
  const status = $(`${prefix}-copy-status`);
  const title = $(`${prefix}-reveal-title`);
  const section = $(`${prefix}-reveal`);
  const copied =
    noun === 'Claim code'
      ? `${noun} copied. Paste it only into a safe message.`
      : `${noun} copied. Keep it somewhere only you can reach.`;
  return {
    /** @param {string} heading @param {string} text */
    show(heading, text) {
      title.textContent = heading;
      value.value = text;
      status.textContent = '';
      section.hidden = false;
      title.focus();
    },
    /** Removes the value from the page for good. */
    hide() {
      value.value = '';
      status.textContent = '';
      section.hidden = true;
    },
    async copy() {
      if (!value.value) return;
      try {
        await navigator.clipboard.writeText(value.value);
        status.textContent = copied;
      } catch {
        value.focus();
        value.select();
        let done = false;
        try {
          done = document.execCommand('copy');
        } catch {
          done = false;
        }
        status.textContent = done
          ? copied
          : `The ${noun.toLowerCase()} is selected: press Ctrl+C (⌘+C on a Mac) to copy it.`;
      }
    },
  };
}

/** Crockford base32 without I, L, O and U. */
const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{20}$/;

/**
 * A claim code as typed (any case, dashes or spaces, O for 0, I or L for 1) in its canonical
 * 20 characters, or null when it cannot be one.
 * @param {string} typed
 */
export function normalizeClaimCode(typed) {
  const code = typed
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return CROCKFORD.test(code) ? code : null;
}

/** "XXXX-XXXX-XXXX-XXXX-XXXX", easy to read out and type. @param {string} code */
export function groupClaimCode(code) {
  const canonical = normalizeClaimCode(code) ?? code.toUpperCase().replace(/[\s-]+/g, '');
  return (canonical.match(/.{1,4}/g) ?? []).join('-');
}

/**
 * The sentences around a claim code: whom to give it to, and until when it works.
 * @param {'provider' | 'enrol'} prefix
 * @param {string} name whom the code is for
 * @param {unknown} code
 * @param {unknown} expiresAt ISO date
 */
export function showClaimCode(prefix, name, code, expiresAt) {
  $(`${prefix}-reveal-give`).textContent = `Give this claim code to ${name}; nobody else will ever see their token.`;
  $(`${prefix}-expiry`).textContent =
    typeof expiresAt === 'string' && code
      ? `Valid until ${formatDate(expiresAt)}. After that, or once used, it opens nothing.`
      : '';
}

/**
 * "Give <id> a new claim code" on the provider and enrol cards, offered when the id already exists:
 * POSTs to `path(id)` and shows the new code once (older unused codes of that id stop working).
 * `onIssued` runs before the code is shown (the card clears its form, remembers the id).
 * @param {{ prefix: 'provider' | 'enrol', path: (id: string) => string, reveal: ReturnType<typeof shownOnce>,
 *   busy: { get(): boolean, set(busy: boolean): void },
 *   errors: { clear(): void, show(field: string | null, text: string): void },
 *   describe: (error: import('../api.js').ApiError, id: string) => import('../problem-text.js').ErrorText,
 *   onIssued: (id: string) => void }} options
 */
export function claimCodeReissue({ prefix, path, reveal, busy, errors, describe, onIssued }) {
  const button = $(`${prefix}-reissue`);
  /** @type {string | null} */
  let target = null;

  /** @param {string | null} id */
  function offer(id) {
    target = id;
    button.hidden = !id;
    button.textContent = id ? `Give ${id} a new claim code` : '';
  }

  button.addEventListener('click', async () => {
    const id = target;
    if (!id || busy.get()) return;
    busy.set(true);
    errors.clear();
    try {
      const { data } = await api(path(id), { method: 'POST' });
      offer(null);
      onIssued(id);
      $(`${prefix}-status`).textContent =
        `A new claim code for ${id} is shown below, once. Older unused codes no longer work.`;
      showClaimCode(prefix, id, data.claimCode, data.claimExpiresAt);
      reveal.show(`A new claim code for ${id}`, groupClaimCode(String(data.claimCode ?? '')));
    } catch (error) {
      const { field, text } = describe(asApiError(error), id);
      errors.show(field, text);
    } finally {
      busy.set(false);
    }
  });
  return { offer };
}
