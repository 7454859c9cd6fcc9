// @ts-check
/** A token shown once (a new provider's, a new patient's), with Copy and Done. */

import { $, $textarea } from '../dom.js';

const COPIED = 'Token copied. Paste it only into a safe message.';

/** @param {'provider' | 'enrol'} prefix the ids are `${prefix}-token`, `${prefix}-reveal`, … */
export function tokenReveal(prefix) {
  const token = $textarea(`${prefix}-token`);
  const status = $(`${prefix}-copy-status`);
  const title = $(`${prefix}-reveal-title`);
  const section = $(`${prefix}-reveal`);
  return {
    /** @param {string} heading @param {string} value */
    show(heading, value) {
      title.textContent = heading;
      token.value = value;
      status.textContent = '';
      section.hidden = false;
      title.focus();
    },
    /** Removes the token from the page for good. */
    hide() {
      token.value = '';
      status.textContent = '';
      section.hidden = true;
    },
    async copy() {
      if (!token.value) return;
      try {
        await navigator.clipboard.writeText(token.value);
        status.textContent = COPIED;
      } catch {
        token.focus();
        token.select();
        let copied = false;
        try {
          copied = document.execCommand('copy');
        } catch {
          copied = false;
        }
        status.textContent = copied ? COPIED : 'The token is selected: press Ctrl+C (⌘+C on a Mac) to copy it.';
      }
    },
  };
}
