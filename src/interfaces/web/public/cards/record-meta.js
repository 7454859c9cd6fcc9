// @ts-check
/** A record's metadata as the <dl class="meta"> rows the upload and retrieve cards show. */

import { el, timeElement } from '../dom.js';
import { formatBytes, ledgerLabel, typeLabel } from '../format.js';

/**
 * GET …/metadata, a history item, or an upload's answer.
 * @typedef {{ recordId?: string, fileName?: string, contentType?: string, size?: number,
 *   version?: number, chain?: string | null, createdAt?: string, uploader?: string,
 *   transactions?: string[], blockNumber?: number | null, statusUrl?: string,
 *   replicas?: Record<string, { status?: string, version?: number } | string> }} RecordMeta
 * @typedef {[label: string, value: Node | string | null | undefined, className?: string]} MetaRow
 */

/** Fills a <dl> from [label, value] pairs; a value may be text or a node. @param {HTMLElement} dl @param {MetaRow[]} rows */
export function fillMeta(dl, rows) {
  dl.replaceChildren();
  for (const [label, value, className] of rows) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(
      el('div', { class: `meta__row ${className ?? ''}`.trim() }, el('dt', { text: label }), el('dd', {}, value)),
    );
  }
}

/** "3.1 MB" with the exact byte count beside it, since clinicians compare files by size. @param {number} bytes */
function sizeNode(bytes) {
  if (bytes < 1024) return formatBytes(bytes);
  return el(
    'span',
    {},
    formatBytes(bytes),
    ' ',
    el('span', { class: 'exact', text: `(${bytes.toLocaleString()} bytes)` }),
  );
}

/** @param {RecordMeta} meta @returns {MetaRow[]} */
export function metadataRows(meta) {
  const transactions = Array.isArray(meta.transactions) ? meta.transactions : [];
  const txNode =
    transactions.length === 0
      ? null
      : el('ul', { class: 'hash-list' }, ...transactions.map((tx) => el('li', { class: 'mono', text: tx })));
  return [
    ['File', meta.fileName],
    ['Type', meta.contentType ? typeLabel(meta.contentType) : null],
    ['Size', Number.isFinite(meta.size) ? sizeNode(/** @type {number} */ (meta.size)) : null],
    ['Version', meta.version !== undefined ? String(meta.version) : null],
    ['Ledger', meta.chain ? ledgerLabel(meta.chain) : null],
    ['Stored', meta.createdAt ? timeElement(meta.createdAt) : null],
    ['Uploaded by', meta.uploader],
    ['Record ID', meta.recordId ? el('span', { class: 'mono', text: meta.recordId }) : null, 'meta__row--wide'],
    [transactions.length > 1 ? 'Transaction hashes' : 'Transaction hash', txNode, 'meta__row--wide'],
    ['Block', meta.blockNumber !== undefined && meta.blockNumber !== null ? String(meta.blockNumber) : null],
  ];
}
