// @ts-check
/** The retrieve card's viewer: one record drawn from a blob: URL, with its metadata and download link. */

import { $, el } from '../dom.js';
import { baseType, formatBytes, typeLabel } from '../format.js';
import { fillMeta, metadataRows } from './record-meta.js';
import { state } from './retrieve-state.js';

/** Types the browser can draw itself; everything else is offered as a download. */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp']);
const PDF_TYPE = 'application/pdf';

/**
 * @param {import('./record-meta.js').RecordMeta} meta
 * @param {Blob} blob the record's bytes
 * @param {{ latest: boolean }} options
 */
export function showRecord(meta, blob, { latest }) {
  if (state.viewerUrl) URL.revokeObjectURL(state.viewerUrl);
  const url = URL.createObjectURL(blob);
  state.viewerUrl = url;
  state.shownRecordId = meta.recordId ?? null;

  const type = baseType(meta.contentType || blob.type);
  const name = meta.fileName || `record-${meta.version ?? ''}`.replace(/-$/, '');
  const viewer = $('viewer');
  viewer.replaceChildren();
  viewer.dataset.recordId = meta.recordId ?? '';
  viewer.dataset.contentType = type;

  /** @param {string} reason */
  const fallback = (reason) =>
    el(
      'div',
      { class: 'viewer__file' },
      el('p', { class: 'viewer__file-name', text: name }),
      el('p', { text: `${typeLabel(type)}${Number.isFinite(meta.size) ? ` · ${formatBytes(meta.size ?? 0)}` : ''}` }),
      el('p', { class: 'hint', text: reason }),
    );

  if (INLINE_IMAGE_TYPES.has(type)) {
    const alt = `${typeLabel(type)} ${name}${meta.version !== undefined ? `, version ${meta.version}` : ''}`;
    const img = el('img', { class: 'viewer__image', src: url, alt });
    img.addEventListener(
      'error',
      () =>
        viewer.replaceChildren(
          fallback('This image could not be displayed. Download it to open it in another program.'),
        ),
      { once: true },
    );
    viewer.append(img);
  } else if (type === PDF_TYPE) {
    viewer.append(el('iframe', { class: 'viewer__pdf', src: url, title: `PDF document ${name}` }));
  } else {
    const reason =
      type === 'application/dicom'
        ? 'Browsers cannot display DICOM images. Download the file to open it in your DICOM viewer.'
        : 'This browser cannot display this type of file. Download it to open it in another program.';
    viewer.append(fallback(reason));
  }

  $('viewer-title').textContent = latest ? 'Latest record' : `Version ${meta.version ?? ''}`.trim();
  fillMeta($('viewer-meta'), metadataRows({ chain: state.chain, ...meta }));
  const download = /** @type {HTMLAnchorElement} */ ($('viewer-download'));
  download.href = url;
  download.download = name;
  download.textContent = `Download ${name}`;
  markCurrentRow();
}

/** Marks the history row of the record the viewer shows. */
export function markCurrentRow() {
  for (const row of $('history-body').querySelectorAll('tr')) {
    const current = row.dataset.recordId === state.shownRecordId;
    row.classList.toggle('history__row--current', current);
    if (current) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
}
