// @ts-check
/** DOM helpers. Text goes in through textContent only: file names and ids are untrusted. */

import { formatDate } from './format.js';

/** @param {string} id @returns {HTMLElement} */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page has no #${id}`);
  return node;
}

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function typed(id, type) {
  const node = $(id);
  if (!(node instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
  return node;
}

/** @param {string} id */
export const $input = (id) => typed(id, HTMLInputElement);
/** @param {string} id */
export const $textarea = (id) => typed(id, HTMLTextAreaElement);
/** @param {string} id */
export const $dialog = (id) => typed(id, HTMLDialogElement);
/** @param {string} id */
export const $form = (id) => typed(id, HTMLFormElement);

/**
 * @typedef {Node | string | null | undefined | false} Child
 * @typedef {Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>} Attributes
 */

/**
 * `el('p', { class: 'hint', text: 'Hello' })`: `text` sets textContent, `on…` adds a listener.
 * @param {string} tag
 * @param {Attributes} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = String(value);
    else if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(
    .../** @type {(Node | string)[]} */ (children.filter((c) => c !== null && c !== undefined && c !== false)),
  );
  return node;
}

/**
 * A copy of a <template>'s single top element, and a lookup of its parts by data-slot name.
 * @param {string} id
 * @returns {{ root: HTMLElement, part: (slot: string) => HTMLElement }}
 */
export function fromTemplate(id) {
  const template = $(id);
  if (!(template instanceof HTMLTemplateElement)) throw new Error(`#${id} is not a <template>`);
  const root = template.content.firstElementChild?.cloneNode(true);
  if (!(root instanceof HTMLElement)) throw new Error(`#${id} is empty`);
  return {
    root,
    part(slot) {
      const node = root.querySelector(`[data-slot="${slot}"]`);
      if (!(node instanceof HTMLElement)) throw new Error(`#${id} has no ${slot} slot`);
      return node;
    },
  };
}

/** @param {string} iso @param {{ seconds?: boolean }} [options] */
export function timeElement(iso, options) {
  return el('time', { datetime: iso, title: iso, text: formatDate(iso, options) });
}

/** @param {string} text */
export function visuallyHidden(text) {
  return el('span', { class: 'visually-hidden', text });
}

/** @param {string} name a radio group's name */
export function checkedValue(name) {
  const checked = document.querySelector(`input[name="${name}"]:checked`);
  return checked instanceof HTMLInputElement ? checked.value : '';
}

/** @param {string} name @param {string} value */
export function checkRadio(name, value) {
  const radio = document.querySelector(`input[name="${name}"][value="${value}"]`);
  if (radio instanceof HTMLInputElement) radio.checked = true;
}

/** @param {string} selector */
function controls(selector) {
  return Array.from(document.querySelectorAll(selector)).filter(
    (node) => node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement,
  );
}

/**
 * @param {string} buttonId
 * @param {boolean} busy
 * @param {string} busyText
 * @param {string} idleText
 */
export function setBusy(buttonId, busy, busyText, idleText) {
  const button = $(buttonId);
  button.setAttribute('aria-disabled', String(busy));
  button.textContent = busy ? busyText : idleText;
  button.closest('form')?.setAttribute('aria-busy', String(busy));
}

/** @typedef {{ control: string, error: string }} FieldTarget  a control selector, its error <p> id */

/**
 * A form's fields: each maps to the control that gets focus and the <p> that shows its error.
 * @param {Record<string, FieldTarget>} fields
 * @param {string} formErrorId where a sentence that concerns no one field goes
 */
export function fieldErrors(fields, formErrorId) {
  return {
    clear() {
      for (const { control, error } of Object.values(fields)) {
        $(error).hidden = true;
        $(error).textContent = '';
        for (const input of controls(control)) input.removeAttribute('aria-invalid');
        $(error).closest('.field')?.classList.remove('field--error');
      }
      $(formErrorId).hidden = true;
      $(formErrorId).textContent = '';
    },
    /**
     * Shows the sentence by its field, or under the form when it concerns no field.
     * @param {string | null} field
     * @param {string} text
     * @param {{ focus?: boolean }} [options]
     */
    show(field, text, { focus = true } = {}) {
      const target = field ? fields[field] : null;
      if (!target) {
        $(formErrorId).textContent = text;
        $(formErrorId).hidden = false;
        return;
      }
      const error = $(target.error);
      error.textContent = text;
      error.hidden = false;
      error.closest('.field')?.classList.add('field--error');
      const inputs = controls(target.control);
      for (const input of inputs) input.setAttribute('aria-invalid', 'true');
      if (focus) (inputs.find((i) => i instanceof HTMLInputElement && i.checked) ?? inputs[0])?.focus();
    },
  };
}

/**
 * Clears a field's error as soon as what was typed would pass.
 * @param {string} inputId
 * @param {(value: string) => string | null} validate
 */
export function clearWhenValid(inputId, validate) {
  const input = $input(inputId);
  input.addEventListener('input', () => {
    if (input.getAttribute('aria-invalid') === 'true' && !validate(input.value.trim())) {
      input.removeAttribute('aria-invalid');
      $(`${inputId}-error`).hidden = true;
      input.closest('.field')?.classList.remove('field--error');
    }
  });
}
