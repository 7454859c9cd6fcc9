/**
 * Patient-Centric EMR web page.
 *
 * Speaks only the REST contract in API.md (base path /api/v1). No framework, no build step.
 * Never uses inline styles or inline scripts, and shows records through blob: URLs, so the page
 * runs under a strict CSP: default-src 'self'; img-src 'self' blob:; object-src blob:; frame-src blob:.
 * Every request goes through api(): that is the one place the Authorization header is added.
 */

const API_BASE = '/api/v1';
const TOKEN_STORAGE_KEY = 'emr.accessToken';
const HISTORY_PAGE_SIZE = 10;
const PATIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PROGRESS_ANNOUNCE_STEP_PERCENT = 25;
const DOWNLOAD_URL_LIFETIME_MS = 60_000;

const LEDGER_LABELS = {
  supchain: 'SUPchain',
  medchain: 'MEDchain',
  both: 'SUPchain and MEDchain',
  any: 'any ledger',
};

/** Types the browser can draw itself; everything else is offered as a download. */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp']);
const PDF_TYPE = 'application/pdf';

const TYPE_LABELS = {
  'image/png': 'PNG image',
  'image/jpeg': 'JPEG image',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
  'image/bmp': 'BMP image',
  'image/tiff': 'TIFF image',
  'application/dicom': 'DICOM image',
  'application/pdf': 'PDF document',
};

const PATIENT_ID_RULE =
  'Patient ID may contain only letters, digits, “.”, “_” and “-”, must start with a letter or digit, and be at most 64 characters.';
const ACCEPTED_FORMATS = 'PNG, JPEG, GIF, WebP, TIFF, BMP, DICOM or PDF';

// ---------------------------------------------------------------------------------------------
// API access
// ---------------------------------------------------------------------------------------------

/** A failed request, already reduced to the problem+json fields the page switches on. */
class ApiError extends Error {
  constructor({ status, code, detail = '', retryAfterSeconds = null, field = null, maxBytes = null }) {
    super(code);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
    this.field = field;
    this.maxBytes = maxBytes;
  }
}

const auth = {
  token() {
    try {
      return sessionStorage.getItem(TOKEN_STORAGE_KEY);
    } catch {
      return null;
    }
  },
  save(token) {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  },
};

function requestHeaders(extra = {}) {
  const headers = { Accept: 'application/json, application/problem+json;q=0.9, */*;q=0.8', ...extra };
  const token = auth.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

function apiUrl(path, query) {
  const url = new URL(API_BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
}

function patientPath(patientId, rest = '') {
  return `/patients/${encodeURIComponent(patientId)}/records${rest}`;
}

/**
 * The single entry point to the API.
 * - `as`: 'json' (default), 'blob' (record bytes) or 'none'.
 * - `onUploadProgress(loaded, total)` switches the transport to XMLHttpRequest, the only browser
 *   API that reports upload progress; headers come from the same requestHeaders() either way.
 * Resolves to { status, headers, data }; rejects with ApiError (status 0 means no response).
 */
async function api(path, { method = 'GET', query, body, headers, as = 'json', onUploadProgress, onUploaded, signal } = {}) {
  const url = apiUrl(path, query);
  const allHeaders = requestHeaders(headers);
  if (onUploadProgress) return xhrRequest(url, { method, body, headers: allHeaders, onUploadProgress, onUploaded, signal });

  let response;
  try {
    response = await fetch(url, { method, body, headers: allHeaders, signal, credentials: 'same-origin', cache: 'no-store' });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError({ status: 0, code: 'NETWORK_ERROR' });
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw toApiError(response.status, response.headers.get('Content-Type'), text, response.headers.get('Retry-After'));
  }
  let data = null;
  if (as === 'blob') data = await response.blob();
  else if (as === 'json' && response.status !== 204) data = await response.json();
  return { status: response.status, headers: response.headers, data };
}

function xhrRequest(url, { method, body, headers, onUploadProgress, onUploaded, signal }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onUploadProgress(event.loaded, event.total);
    });
    xhr.upload.addEventListener('load', () => onUploaded?.());
    xhr.addEventListener('load', () => {
      const contentType = xhr.getResponseHeader('Content-Type');
      if (xhr.status >= 200 && xhr.status < 300) {
        let data = null;
        try {
          data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          data = null;
        }
        resolve({ status: xhr.status, headers: { get: (name) => xhr.getResponseHeader(name) }, data });
      } else {
        reject(toApiError(xhr.status, contentType, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError({ status: 0, code: 'NETWORK_ERROR' })));
    xhr.addEventListener('abort', () => reject(new DOMException('Upload cancelled', 'AbortError')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

function toApiError(status, contentType, text, retryAfterHeader) {
  let problem = {};
  if (contentType && /json/i.test(contentType)) {
    try {
      problem = JSON.parse(text) ?? {};
    } catch {
      problem = {};
    }
  }
  const code = typeof problem.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(problem.code) ? problem.code : `HTTP_${status}`;
  return new ApiError({
    status,
    code,
    detail: typeof problem.detail === 'string' ? problem.detail : '',
    retryAfterSeconds: parseRetryAfter(retryAfterHeader ?? problem.retryAfter ?? problem.retryAfterSeconds),
    field: problemField(problem),
    maxBytes: Number.isFinite(problem.maxBytes) ? problem.maxBytes : null,
  });
}

/** The input a VALIDATION_FAILED problem names, whichever extension member the server used. */
function problemField(problem) {
  const candidates = [
    problem.field,
    problem.param,
    problem.errors?.[0]?.field,
    problem.errors?.[0]?.property,
    problem.errors?.[0]?.name,
    problem.invalidParams?.[0]?.name,
    problem['invalid-params']?.[0]?.name,
  ];
  const named = candidates.find((c) => typeof c === 'string' && c);
  return named ?? null;
}

function parseRetryAfter(value) {
  if (value === undefined || value === null || value === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(String(value));
  if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return null;
}

// ---------------------------------------------------------------------------------------------
// Error sentences: every ApiError becomes one human sentence aimed at one field (or the form).
// ---------------------------------------------------------------------------------------------

/**
 * @param {ApiError} error
 * @param {{ action: 'upload' | 'retrieve' | 'open', chain: string, file?: File }} context
 * @returns {{ field: 'patient' | 'chain' | 'file' | null, text: string, notice?: boolean }}
 */
function describeError(error, context) {
  const ledger = ledgerLabel(context.chain);
  const wait = error.retryAfterSeconds ? `${error.retryAfterSeconds} s` : 'a few seconds';
  switch (error.code) {
    case 'VALIDATION_FAILED':
      return describeValidation(error, context);
    case 'PAYLOAD_TOO_LARGE': {
      const max = error.maxBytes ?? bytesFromDetail(error.detail);
      const limit = max ? ` The largest file accepted is ${formatBytes(max)}.` : '';
      const size = context.file ? `This file is ${formatBytes(context.file.size)}, which is too large.` : 'This file is too large.';
      return { field: 'file', text: `${size}${limit} Choose a smaller file.` };
    }
    case 'UNSUPPORTED_MEDIA_TYPE':
      return {
        field: 'file',
        text: `This file is not a supported medical image or document. Choose a ${ACCEPTED_FORMATS} file.`,
      };
    case 'RECORD_NOT_FOUND':
      return context.action === 'open'
        ? { field: null, text: `This version is no longer available on ${ledger}.` }
        : { field: null, notice: true, text: `No records yet for this patient on ${ledger}.` };
    case 'PATIENT_NOT_FOUND':
      return { field: 'patient', text: 'No patient with this ID is registered. Check the ID and try again.' };
    case 'CHAIN_UNAVAILABLE':
      return { field: 'chain', text: `${ledger} is unreachable right now; try again in ${wait}.` };
    case 'RATE_LIMITED':
      return { field: null, text: `Too many requests in a short time; try again in ${wait}.` };
    case 'UNAUTHENTICATED':
      return { field: null, text: 'Please sign in with your access token to continue.' };
    case 'FORBIDDEN':
      return { field: null, text: 'Your account is not allowed to do this.' };
    case 'CONSENT_REQUIRED':
      return { field: 'patient', text: 'This patient has not given you consent to see or add their records.' };
    case 'IDEMPOTENCY_CONFLICT':
      return { field: null, text: 'This upload clashes with an earlier one. Choose the file again and retry.' };
    case 'INTEGRITY_CHECK_FAILED':
      return {
        field: null,
        text: 'This record failed its integrity check, so it is not shown. It may have been altered; please report it to your administrator.',
      };
    case 'NETWORK_ERROR':
      return {
        field: null,
        text:
          context.action === 'upload'
            ? 'The upload did not reach the server. Check your connection and try again.'
            : 'Could not reach the server. Check your connection and try again.',
      };
    default:
      if (error.status >= 500) {
        return { field: null, text: 'Something went wrong on the server. Please try again; if it keeps happening, contact support.' };
      }
      return { field: null, text: 'The request could not be completed. Please check what you entered and try again.' };
  }
}

function describeValidation(error, context) {
  const named = `${error.field ?? ''} ${error.detail}`.toLowerCase();
  if (/patient/.test(named)) return { field: 'patient', text: PATIENT_ID_RULE };
  if (/chain|ledger/.test(named)) return { field: 'chain', text: 'Choose SUPchain or MEDchain.' };
  if (/file/.test(named)) {
    return context.action === 'upload'
      ? { field: 'file', text: 'Choose a file to upload.' }
      : { field: null, text: 'The request was not accepted. Please try again.' };
  }
  if (/cursor|limit/.test(named)) {
    return { field: null, text: 'The list of earlier versions could not be loaded. Retrieve the records again.' };
  }
  return { field: null, text: 'Some of what you entered was not accepted. Check the fields and try again.' };
}

function bytesFromDetail(detail) {
  const match = /(\d+)\s*bytes/i.exec(detail ?? '');
  return match ? Number(match[1]) : null;
}

// ---------------------------------------------------------------------------------------------
// Small DOM and formatting helpers (textContent only: file names and ids are untrusted text)
// ---------------------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function ledgerLabel(chain) {
  return LEDGER_LABELS[String(chain ?? '').toLowerCase()] ?? String(chain ?? '');
}

function typeLabel(contentType) {
  const base = baseType(contentType);
  return TYPE_LABELS[base] ?? (base || 'File');
}

function baseType(contentType) {
  return String(contentType ?? '').split(';')[0].trim().toLowerCase();
}

function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

function formatDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function timeElement(iso) {
  return el('time', { datetime: iso, title: iso, text: formatDate(iso) });
}

function checkedValue(name) {
  return document.querySelector(`input[name="${name}"]:checked`)?.value ?? '';
}

function checkRadio(name, value) {
  const radio = document.querySelector(`input[name="${name}"][value="${value}"]`);
  if (radio) radio.checked = true;
}

function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function fileNameFromDisposition(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through to the plain form */
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? plain[1].replace(/\\(.)/g, '$1').trim() : null;
}

/** Fills a <dl> from [label, value] pairs; a value may be text or a node. */
function fillMeta(dl, rows) {
  dl.replaceChildren();
  for (const [label, value, className] of rows) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(el('div', { class: `meta__row ${className ?? ''}`.trim() }, el('dt', { text: label }), el('dd', {}, value)));
  }
}

/** "3.1 MB" with the exact byte count beside it, since clinicians compare files by size. */
function sizeNode(bytes) {
  if (bytes < 1024) return formatBytes(bytes);
  return el('span', {}, formatBytes(bytes), ' ', el('span', { class: 'exact', text: `(${bytes.toLocaleString()} bytes)` }));
}

function metadataRows(meta) {
  const transactions = Array.isArray(meta.transactions) ? meta.transactions : [];
  const txNode =
    transactions.length === 0
      ? null
      : el('ul', { class: 'hash-list' }, ...transactions.map((tx) => el('li', { class: 'mono', text: tx })));
  return [
    ['File', meta.fileName],
    ['Type', meta.contentType ? typeLabel(meta.contentType) : null],
    ['Size', Number.isFinite(meta.size) ? sizeNode(meta.size) : null],
    ['Version', meta.version !== undefined ? String(meta.version) : null],
    ['Ledger', meta.chain ? ledgerLabel(meta.chain) : null],
    ['Stored', meta.createdAt ? timeElement(meta.createdAt) : null],
    ['Record ID', meta.recordId ? el('span', { class: 'mono', text: meta.recordId }) : null, 'meta__row--wide'],
    [transactions.length > 1 ? 'Transaction hashes' : 'Transaction hash', txNode, 'meta__row--wide'],
    ['Block', meta.blockNumber !== undefined && meta.blockNumber !== null ? String(meta.blockNumber) : null],
  ];
}

// ---------------------------------------------------------------------------------------------
// Field errors
// ---------------------------------------------------------------------------------------------

/** A form's fields: each maps to the control that gets focus and the <p> that shows its error. */
function fieldErrors(fields, formErrorId) {
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
    /** Shows the sentence by its field, or under the form when it concerns no field. */
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
      if (focus) (inputs.find((i) => i.checked) ?? inputs[0])?.focus();
    },
  };
}

function controls(selector) {
  return Array.from(document.querySelectorAll(selector));
}

function validatePatientId(value) {
  if (!value) return 'Enter the patient ID.';
  if (!PATIENT_ID_PATTERN.test(value)) return PATIENT_ID_RULE;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Upload card
// ---------------------------------------------------------------------------------------------

const upload = {
  file: null,
  idempotencyKey: null,
  lastResult: null,
  busy: false,
};

const uploadErrors = fieldErrors(
  {
    patient: { control: '#upload-patient', error: 'upload-patient-error' },
    chain: { control: 'input[name="upload-chain"]', error: 'upload-chain-error' },
    file: { control: '#upload-file', error: 'upload-file-error' },
  },
  'upload-error',
);

function setUploadFile(file) {
  upload.file = file ?? null;
  upload.idempotencyKey = null;
  const chosen = $('upload-file-chosen');
  chosen.textContent = file ? `Selected: ${file.name} (${formatBytes(file.size)})` : '';
  $('upload-dropzone').classList.toggle('dropzone--chosen', Boolean(file));
}

function wireDropzone() {
  const zone = $('upload-dropzone');
  const input = $('upload-file');
  input.addEventListener('change', () => {
    uploadErrors.clear();
    setUploadFile(input.files?.[0]);
  });
  const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
  zone.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.add('dropzone--over');
  });
  zone.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dropzone--over');
  });
  zone.addEventListener('dragleave', (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove('dropzone--over');
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dropzone--over');
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    try {
      // Keep the native input in step so keyboard and screen-reader users see the same file.
      const transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
    } catch {
      /* older browsers: the page still uploads upload.file */
    }
    uploadErrors.clear();
    setUploadFile(file);
  });
}

function showProgress(loaded, total) {
  const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
  const bar = $('upload-progress');
  bar.value = percent;
  $('upload-progress-text').textContent = `${percent}% · ${formatBytes(loaded)} of ${formatBytes(total)}`;
  const step = Math.floor(percent / PROGRESS_ANNOUNCE_STEP_PERCENT) * PROGRESS_ANNOUNCE_STEP_PERCENT;
  if (step > 0 && step < 100 && step !== upload.lastAnnounced) {
    upload.lastAnnounced = step;
    $('upload-status').textContent = `Uploading ${upload.file?.name ?? 'file'}: ${step}% sent.`;
  }
}

async function onUploadSubmit(event) {
  event.preventDefault();
  if (upload.busy) return;
  uploadErrors.clear();
  const patientId = $('upload-patient').value.trim();
  const chain = checkedValue('upload-chain');
  const file = upload.file;

  const problems = [];
  const patientProblem = validatePatientId(patientId);
  if (patientProblem) problems.push(['patient', patientProblem]);
  if (!chain) problems.push(['chain', 'Choose SUPchain or MEDchain.']);
  if (!file) problems.push(['file', 'Choose a file to upload.']);
  else if (file.size === 0) problems.push(['file', 'This file is empty. Choose another file.']);
  if (problems.length > 0) {
    problems.forEach(([field, text], index) => uploadErrors.show(field, text, { focus: index === 0 }));
    $('upload-status').textContent = 'Not uploaded: please correct the highlighted field.';
    return;
  }

  upload.idempotencyKey ??= randomKey();
  const body = new FormData();
  body.append('chain', chain);
  body.append('file', file, file.name);

  setUploadBusy(true);
  upload.lastAnnounced = -1;
  $('upload-result').hidden = true;
  $('upload-progress-block').hidden = false;
  $('upload-progress').value = 0;
  $('upload-progress-text').textContent = '';
  $('upload-status').textContent = `Uploading ${file.name} (${formatBytes(file.size)}) to ${ledgerLabel(chain)}…`;

  try {
    const { data } = await api(patientPath(patientId), {
      method: 'POST',
      body,
      headers: { 'Idempotency-Key': upload.idempotencyKey },
      onUploadProgress: showProgress,
      onUploaded: () => {
        $('upload-progress').value = 100;
        $('upload-status').textContent = `File sent. Encrypting and writing to ${ledgerLabel(chain)}…`;
      },
    });
    upload.idempotencyKey = null;
    upload.lastResult = { patientId, chain, meta: data ?? {} };
    showUploadResult(data ?? {}, chain);
  } catch (error) {
    if (error?.name === 'AbortError') return;
    $('upload-progress-block').hidden = true;
    const { field, text } = describeError(asApiError(error), { action: 'upload', chain, file });
    if (error?.code !== 'NETWORK_ERROR') upload.idempotencyKey = null;
    uploadErrors.show(field, text);
    $('upload-status').textContent = 'Not uploaded.';
    if (error?.status === 401) onUnauthenticated();
  } finally {
    setUploadBusy(false);
  }
}

function asApiError(error) {
  return error instanceof ApiError ? error : new ApiError({ status: 0, code: 'NETWORK_ERROR' });
}

function setUploadBusy(busy) {
  upload.busy = busy;
  const button = $('upload-submit');
  button.setAttribute('aria-disabled', String(busy));
  button.textContent = busy ? 'Uploading…' : 'Upload';
  $('upload-form').setAttribute('aria-busy', String(busy));
}

function showUploadResult(meta, chain) {
  fillMeta($('upload-result-meta'), metadataRows({ chain, ...meta }));
  $('upload-result').hidden = false;
  const version = meta.version !== undefined ? `version ${meta.version}` : 'the record';
  $('upload-status').textContent = `Stored ${version} of ${meta.fileName ?? 'the file'} on ${ledgerLabel(meta.chain ?? chain)}.`;
}

function onUploadView() {
  const result = upload.lastResult;
  if (!result) return;
  $('retrieve-patient').value = result.patientId;
  checkRadio('retrieve-chain', String(result.meta.chain ?? result.chain).toLowerCase());
  $('retrieve-title').focus();
  $('retrieve-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
  retrieveLatest();
}

// ---------------------------------------------------------------------------------------------
// Retrieve card: latest record, viewer and paged history
// ---------------------------------------------------------------------------------------------

const retrieve = {
  patientId: '',
  chain: '',
  items: [],
  nextCursor: null,
  shownRecordId: null,
  viewerUrl: null,
  generation: 0,
  controller: null,
  loadingMore: false,
};

const retrieveErrors = fieldErrors(
  {
    patient: { control: '#retrieve-patient', error: 'retrieve-patient-error' },
    chain: { control: 'input[name="retrieve-chain"]', error: 'retrieve-chain-error' },
  },
  'retrieve-error',
);

async function onRetrieveSubmit(event) {
  event.preventDefault();
  await retrieveLatest();
}

async function retrieveLatest() {
  retrieveErrors.clear();
  const patientId = $('retrieve-patient').value.trim();
  const chain = checkedValue('retrieve-chain');
  const patientProblem = validatePatientId(patientId);
  if (patientProblem) {
    retrieveErrors.show('patient', patientProblem);
    $('retrieve-status').textContent = 'Not retrieved: please correct the highlighted field.';
    return;
  }

  retrieve.controller?.abort();
  const controller = new AbortController();
  const generation = ++retrieve.generation;
  Object.assign(retrieve, { patientId, chain, items: [], nextCursor: null, shownRecordId: null, controller });
  const stale = () => generation !== retrieve.generation;

  $('retrieve-empty').hidden = true;
  $('retrieve-status').classList.remove('visually-hidden');
  $('retrieve-result').hidden = true;
  $('retrieve-form').setAttribute('aria-busy', 'true');
  $('retrieve-status').textContent = `Retrieving records from ${ledgerLabel(chain)}…`;

  const [latest, history] = await Promise.allSettled([
    api(patientPath(patientId, '/latest'), { query: { chain }, as: 'blob', signal: controller.signal }),
    api(patientPath(patientId), { query: { chain, limit: HISTORY_PAGE_SIZE }, signal: controller.signal }),
  ]);
  if (stale()) return;
  $('retrieve-form').setAttribute('aria-busy', 'false');

  if (latest.status === 'rejected') {
    showRetrieveError(latest.reason, chain);
    return;
  }
  const page = history.status === 'fulfilled' ? history.value.data : null;
  retrieve.items = Array.isArray(page?.items) ? page.items : [];
  retrieve.nextCursor = page?.nextCursor ?? null;

  const recordId = latest.value.headers.get('X-Record-Id');
  let meta = retrieve.items.find((item) => item.recordId === recordId);
  if (!meta && recordId) {
    meta = await api(patientPath(patientId, `/${encodeURIComponent(recordId)}/metadata`), { query: { chain }, signal: controller.signal })
      .then((r) => r.data)
      .catch(() => null);
    if (stale()) return;
  }
  meta ??= {
    recordId,
    chain,
    contentType: latest.value.data.type,
    size: latest.value.data.size,
    fileName: fileNameFromDisposition(latest.value.headers.get('Content-Disposition')),
  };

  renderHistory();
  showRecord(meta, latest.value.data, { latest: true });
  $('retrieve-result').hidden = false;
  if (history.status === 'rejected') {
    const { text } = describeError(asApiError(history.reason), { action: 'retrieve', chain });
    retrieveErrors.show(null, `The list of earlier versions could not be loaded. ${text}`);
  }
  $('retrieve-status').textContent = `Showing the latest record (${describeShort(meta)}) from ${ledgerLabel(chain)}.`;
}

function showRetrieveError(error, chain) {
  if (error?.name === 'AbortError') return;
  const { field, text, notice } = describeError(asApiError(error), { action: 'retrieve', chain });
  if (notice) {
    $('retrieve-empty').textContent = text;
    $('retrieve-empty').hidden = false;
    // Still announced through the live region, but shown once: in the notice box.
    $('retrieve-status').classList.add('visually-hidden');
    $('retrieve-status').textContent = text;
    return;
  }
  retrieveErrors.show(field, text);
  $('retrieve-status').textContent = 'Not retrieved.';
  if (error?.status === 401) onUnauthenticated();
}

function describeShort(meta) {
  const parts = [];
  if (meta.version !== undefined) parts.push(`version ${meta.version}`);
  if (meta.fileName) parts.push(meta.fileName);
  return parts.join(', ') || 'record';
}

function showRecord(meta, blob, { latest }) {
  if (retrieve.viewerUrl) URL.revokeObjectURL(retrieve.viewerUrl);
  const url = URL.createObjectURL(blob);
  retrieve.viewerUrl = url;
  retrieve.shownRecordId = meta.recordId ?? null;

  const type = baseType(meta.contentType || blob.type);
  const name = meta.fileName || `record-${meta.version ?? ''}`.replace(/-$/, '');
  const viewer = $('viewer');
  viewer.replaceChildren();
  viewer.dataset.recordId = meta.recordId ?? '';
  viewer.dataset.contentType = type;

  const fallback = (reason) =>
    el(
      'div',
      { class: 'viewer__file' },
      el('p', { class: 'viewer__file-name', text: name }),
      el('p', { text: `${typeLabel(type)}${Number.isFinite(meta.size) ? ` · ${formatBytes(meta.size)}` : ''}` }),
      el('p', { class: 'hint', text: reason }),
    );

  if (INLINE_IMAGE_TYPES.has(type)) {
    const alt = `${typeLabel(type)} ${name}${meta.version !== undefined ? `, version ${meta.version}` : ''}`;
    const img = el('img', { class: 'viewer__image', src: url, alt });
    img.addEventListener('error', () => viewer.replaceChildren(fallback('This image could not be displayed. Download it to open it in another program.')), { once: true });
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

  const title = $('viewer-title');
  title.textContent = latest ? 'Latest record' : `Version ${meta.version ?? ''}`.trim();
  fillMeta($('viewer-meta'), metadataRows({ chain: retrieve.chain, ...meta }));
  const download = $('viewer-download');
  download.href = url;
  download.download = name;
  download.textContent = `Download ${name}`;
  markCurrentRow();
}

function renderHistory() {
  const body = $('history-body');
  body.replaceChildren();
  retrieve.items.forEach((item, index) => body.append(historyRow(item, index === 0)));
  $('history-more').hidden = !retrieve.nextCursor;
  markCurrentRow();
}

function historyRow(item, isLatest) {
  const version = item.version !== undefined ? String(item.version) : '';
  const hidden = (text) => el('span', { class: 'visually-hidden', text });
  // Each cell holds one wrapper element: on phones a cell becomes a two-column label/value grid.
  return el(
    'tr',
    { 'data-record-id': item.recordId },
    el(
      'td',
      { 'data-label': 'Version' },
      el('span', {}, el('span', { class: 'history__version', text: version }), isLatest ? ' ' : null, isLatest ? el('span', { class: 'badge', text: 'Latest' }) : null),
    ),
    el('td', { 'data-label': 'Stored' }, item.createdAt ? timeElement(item.createdAt) : el('span')),
    el(
      'td',
      { 'data-label': 'File', class: 'history__file' },
      el('span', {}, el('span', { class: 'history__name', text: item.fileName ?? '' }), el('span', { class: 'history__type', text: typeLabel(item.contentType) })),
    ),
    el('td', { 'data-label': 'Size' }, el('span', { text: Number.isFinite(item.size) ? formatBytes(item.size) : '' })),
    el(
      'td',
      { class: 'history__actions' },
      el('button', { type: 'button', class: 'button button--small', 'data-action': 'open', onclick: () => openVersion(item) }, 'Open', hidden(` version ${version}`)),
      el('button', { type: 'button', class: 'button button--small', 'data-action': 'download', onclick: () => downloadVersion(item) }, 'Download', hidden(` version ${version}`)),
    ),
  );
}

function markCurrentRow() {
  for (const row of $('history-body').querySelectorAll('tr')) {
    const current = row.dataset.recordId === retrieve.shownRecordId;
    row.classList.toggle('history__row--current', current);
    if (current) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
}

async function fetchVersion(item) {
  const chain = LEDGER_LABELS[String(item.chain).toLowerCase()] && item.chain !== 'any' ? String(item.chain).toLowerCase() : retrieve.chain;
  const { data } = await api(patientPath(retrieve.patientId, `/${encodeURIComponent(item.recordId)}`), { query: { chain }, as: 'blob' });
  return data;
}

async function openVersion(item) {
  retrieveErrors.clear();
  const generation = retrieve.generation;
  $('retrieve-status').textContent = `Opening version ${item.version}…`;
  try {
    const blob = await fetchVersion(item);
    if (generation !== retrieve.generation) return;
    const latest = retrieve.items[0]?.recordId === item.recordId;
    showRecord(item, blob, { latest });
    $('retrieve-status').textContent = `Showing version ${item.version} (${item.fileName ?? 'record'}).`;
    $('viewer-title').focus({ preventScroll: true });
    $('viewer-title').scrollIntoView({ block: 'start', behavior: 'smooth' });
  } catch (error) {
    if (generation !== retrieve.generation) return;
    const { text } = describeError(asApiError(error), { action: 'open', chain: retrieve.chain });
    retrieveErrors.show(null, text);
    $('retrieve-status').textContent = `Version ${item.version} could not be opened.`;
  }
}

async function downloadVersion(item) {
  retrieveErrors.clear();
  $('retrieve-status').textContent = `Preparing version ${item.version} for download…`;
  try {
    const blob = await fetchVersion(item);
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: item.fileName || `record-${item.version}`, class: 'visually-hidden' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_URL_LIFETIME_MS);
    $('retrieve-status').textContent = `Downloaded version ${item.version} (${item.fileName ?? 'record'}).`;
  } catch (error) {
    const { text } = describeError(asApiError(error), { action: 'open', chain: retrieve.chain });
    retrieveErrors.show(null, text);
    $('retrieve-status').textContent = `Version ${item.version} could not be downloaded.`;
  }
}

async function loadMoreHistory() {
  if (!retrieve.nextCursor || retrieve.loadingMore) return;
  retrieve.loadingMore = true;
  const generation = retrieve.generation;
  const button = $('history-more');
  button.setAttribute('aria-disabled', 'true');
  $('retrieve-status').textContent = 'Loading earlier versions…';
  try {
    const { data } = await api(patientPath(retrieve.patientId), {
      query: { chain: retrieve.chain, limit: HISTORY_PAGE_SIZE, cursor: retrieve.nextCursor },
    });
    if (generation !== retrieve.generation) return;
    const items = Array.isArray(data?.items) ? data.items : [];
    const firstNew = retrieve.items.length;
    retrieve.items.push(...items);
    retrieve.nextCursor = data?.nextCursor ?? null;
    renderHistory();
    $('retrieve-status').textContent = `Loaded ${items.length} earlier ${items.length === 1 ? 'version' : 'versions'}.`;
    // Keep keyboard users in place: focus the first new row's Open button.
    $('history-body').querySelectorAll('tr')[firstNew]?.querySelector('button')?.focus();
  } catch (error) {
    if (generation !== retrieve.generation) return;
    const { text } = describeError(asApiError(error), { action: 'retrieve', chain: retrieve.chain });
    retrieveErrors.show(null, text);
    $('retrieve-status').textContent = 'Earlier versions could not be loaded.';
  } finally {
    retrieve.loadingMore = false;
    button.setAttribute('aria-disabled', 'false');
  }
}

// ---------------------------------------------------------------------------------------------
// Sign in: only shown when the API has access control (GET /me does not answer 404)
// ---------------------------------------------------------------------------------------------

const signInErrors = fieldErrors({ token: { control: '#sign-in-token', error: 'sign-in-token-error' } }, 'sign-in-token-error');

async function detectAuth() {
  let me;
  try {
    me = await api('/me');
  } catch (error) {
    if (error?.status === 404 || error?.status === 0) return; // no access control (yet), or offline
    if (error?.status === 401) {
      auth.clear();
      showSignIn({ focus: false });
    }
    return;
  }
  showSignedIn(me.data);
}

/** Reveals the sign-in card; called on load when the API wants a token, and on any 401. */
function showSignIn({ focus = true } = {}) {
  $('sign-in').hidden = false;
  $('session').hidden = false;
  $('session-who').textContent = 'Not signed in';
  $('session-sign-out').hidden = true;
  if (focus) $('sign-in-token').focus();
}

function showSignedIn(me) {
  $('sign-in').hidden = true;
  $('session').hidden = false;
  $('session-who').textContent = me?.id ? `Signed in as ${me.id}${me.role ? ` (${me.role})` : ''}` : 'Signed in';
  $('session-sign-out').hidden = false;
  // A patient only ever works on their own records.
  if (me?.role === 'patient' && me.id) {
    for (const id of ['upload-patient', 'retrieve-patient']) if (!$(id).value) $(id).value = me.id;
  }
}

/** After a 401 on a records call: the token is missing, expired or revoked. */
function onUnauthenticated() {
  auth.clear();
  showSignIn({ focus: false });
}

async function onSignInSubmit(event) {
  event.preventDefault();
  signInErrors.clear();
  const input = $('sign-in-token');
  const token = input.value.trim();
  if (!token) {
    signInErrors.show('token', 'Paste your access token.');
    return;
  }
  auth.save(token);
  try {
    const { data } = await api('/me');
    input.value = '';
    showSignedIn(data);
    $('upload-patient').focus();
  } catch (error) {
    auth.clear();
    const text =
      error?.status === 401
        ? 'This token was not recognised. Check that it was pasted in full and try again.'
        : describeError(asApiError(error), { action: 'retrieve', chain: '' }).text;
    signInErrors.show('token', text);
  }
}

function onSignOut() {
  auth.clear();
  showSignIn();
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

function start() {
  wireDropzone();
  $('upload-form').addEventListener('submit', onUploadSubmit);
  $('upload-view').addEventListener('click', onUploadView);
  $('retrieve-form').addEventListener('submit', onRetrieveSubmit);
  $('history-more').addEventListener('click', loadMoreHistory);
  $('sign-in-form').addEventListener('submit', onSignInSubmit);
  $('session-sign-out').addEventListener('click', onSignOut);
  for (const id of ['upload-patient', 'retrieve-patient']) {
    $(id).addEventListener('input', () => {
      const input = $(id);
      if (input.getAttribute('aria-invalid') === 'true' && !validatePatientId(input.value.trim())) {
        input.removeAttribute('aria-invalid');
        $(`${id}-error`).hidden = true;
        input.closest('.field')?.classList.remove('field--error');
      }
    });
  }
  document.querySelectorAll('input[name="upload-chain"], #upload-patient').forEach((input) =>
    input.addEventListener('change', () => {
      upload.idempotencyKey = null;
    }),
  );
  // Dropping a file anywhere else must not navigate away from the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
  detectAuth();
}

start();
