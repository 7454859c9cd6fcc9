// @ts-check
/** What the retrieve card is showing; shared by its parts (form, viewer, history). */

import { fieldErrors } from '../dom.js';

/** @typedef {import('./record-meta.js').RecordMeta} RecordMeta */

export const state = {
  patientId: '',
  chain: '',
  /** @type {RecordMeta[]} history, newest first */
  items: [],
  /** @type {string | null} */
  nextCursor: null,
  /** @type {string | null} */
  shownRecordId: null,
  /** @type {string | null} the blob: URL the viewer shows */
  viewerUrl: null,
  /** Bumped by every new read: answers to an older one are dropped. */
  generation: 0,
  /** @type {AbortController | null} */
  controller: null,
  loadingMore: false,
  /** Set only for reads the provider opened through the emergency dialog. @type {string | null} */
  breakGlassReason: null,
  /** The read that was refused for want of consent. @type {{ patientId: string, chain: string } | null} */
  refused: null,
};

export const errors = fieldErrors(
  {
    patient: { control: '#retrieve-patient', error: 'retrieve-patient-error' },
    chain: { control: 'input[name="retrieve-chain"]', error: 'retrieve-chain-error' },
  },
  'retrieve-error',
);

/** Every read in an emergency session carries the reason; ordinary reads carry nothing. */
export function readHeaders() {
  /** @type {Record<string, string>} */
  const headers = {};
  if (state.breakGlassReason) headers['X-Break-Glass-Reason'] = state.breakGlassReason;
  return headers;
}
