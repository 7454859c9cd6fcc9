/**
 * Patient-Centric EMR web page.
 *
 * Speaks only the REST contract in API.md (base path /api/v1). No framework, no build step.
 * Never uses inline styles or inline scripts, and shows records through blob: URLs, so the page
 * runs under a strict CSP: default-src 'self'; img-src 'self' blob:; object-src blob:; frame-src blob:.
 * Every request goes through api(): that is the one place the Authorization header is added.
 *
 * What the page shows depends on who signed in (GET /api/v1/me → { id, role }):
 *   admin    → Create a provider (nothing medical)
 *   provider → Enrol a patient, Upload, Retrieve (with emergency access when consent is missing)
 *   patient  → Upload to and read their own record, Consents, Access log
 *   open     → a server without access control (GET /me answers 404): Upload and Retrieve
 */

const API_BASE = '/api/v1';
const TOKEN_STORAGE_KEY = 'emr.accessToken';
/** Set just before the sign-out reload, so the fresh page can say what happened. */
const SIGNED_OUT_KEY = 'emr.signedOut';
const HISTORY_PAGE_SIZE = 10;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_PROVIDER_NAME_CHARS = 200;
/** API.md, Access: X-Break-Glass-Reason is 1-500 characters once trimmed. */
const MAX_REASON_CHARS = 500;
/** HTTP header values are bytes: a browser refuses to send code points above U+00FF in one. */
const MAX_HEADER_CODE_POINT = 0xff;
const PROGRESS_ANNOUNCE_STEP_PERCENT = 25;
const DOWNLOAD_URL_LIFETIME_MS = 60_000;
/** Resolving file names for the access log: at most this many metadata look-ups per refresh. */
const MAX_LOG_NAME_LOOKUPS = 30;

const LEDGER_LABELS = {
  supchain: 'SUPchain',
  medchain: 'MEDchain',
  both: 'SUPchain and MEDchain',
  any: 'either ledger',
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

const ID_HINT = 'Letters, digits, “.”, “_” or “-”, up to 64 characters.';
const PATIENT_ID_RULE =
  'Patient ID may contain only letters, digits, “.”, “_” and “-”, must start with a letter or digit, and be at most 64 characters.';
const PROVIDER_ID_RULE =
  'Provider ID may contain only letters, digits, “.”, “_” and “-”, must start with a letter or digit, and be at most 64 characters.';
const ACCEPTED_FORMATS = 'PNG, JPEG, GIF, WebP, TIFF, BMP, DICOM or PDF';

const ACCESS_KIND_LABELS = {
  'own-upload': 'A record they uploaded themselves',
  consent: 'With your consent',
  emergency: 'Emergency, without your consent',
};

const REPLICA_LABELS = {
  committed: 'Stored',
  pending: 'Waiting: the copy will be written when this ledger returns',
  absent: 'Missing: the service will repair it',
  unreachable: 'Unreachable right now',
};

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

/** A URL the API handed out (e.g. statusUrl) as a path for api(); null unless it is ours. */
function apiPathOf(url) {
  if (typeof url !== 'string') return null;
  const parsed = new URL(url, window.location.origin);
  if (parsed.origin !== window.location.origin || !parsed.pathname.startsWith(`${API_BASE}/`)) return null;
  return parsed.pathname.slice(API_BASE.length);
}

function patientPath(patientId, rest = '') {
  return `/patients/${encodeURIComponent(patientId)}/records${rest}`;
}

function accessPath(patientId, rest) {
  return `/patients/${encodeURIComponent(patientId)}/${rest}`;
}

/**
 * The single entry point to the API.
 * - `as`: 'json' (default), 'blob' (record bytes) or 'none'.
 * - `json`: a value sent as an application/json body.
 * - `onUploadProgress(loaded, total)` switches the transport to XMLHttpRequest, the only browser
 *   API that reports upload progress; headers come from the same requestHeaders() either way.
 * Resolves to { status, headers, data }; rejects with ApiError (status 0 means no response).
 */
async function api(
  path,
  { method = 'GET', query, body, json, headers, as = 'json', onUploadProgress, onUploaded, signal } = {},
) {
  const url = apiUrl(path, query);
  const extra = { ...headers };
  if (json !== undefined) {
    body = JSON.stringify(json);
    extra['Content-Type'] = 'application/json';
  }
  const allHeaders = requestHeaders(extra);
  if (onUploadProgress)
    return xhrRequest(url, { method, body, headers: allHeaders, onUploadProgress, onUploaded, signal });

  let response;
  try {
    response = await fetch(url, {
      method,
      body,
      headers: allHeaders,
      signal,
      credentials: 'same-origin',
      cache: 'no-store',
    });
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
  const code =
    typeof problem.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(problem.code) ? problem.code : `HTTP_${status}`;
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

function asApiError(error) {
  return error instanceof ApiError ? error : new ApiError({ status: 0, code: 'NETWORK_ERROR' });
}

// ---------------------------------------------------------------------------------------------
// Error sentences: every ApiError becomes one human sentence aimed at one field (or the form).
// Fields: patient, provider, name, expires, chain, file, reason — each form maps the ones it has.
// ---------------------------------------------------------------------------------------------

/**
 * @param {ApiError} error
 * @param {{ action: 'upload' | 'retrieve' | 'open' | 'enrol' | 'create-provider' | 'grant' | 'revoke'
 *   | 'consents' | 'log' | 'replicas' | 'sign-in', chain?: string, file?: File, patientId?: string,
 *   providerId?: string }} context
 * @returns {{ field: string | null, text: string, notice?: boolean }}
 */
function describeError(error, context) {
  const ledger = ledgerLabel(context.chain);
  const wait = error.retryAfterSeconds ? `${error.retryAfterSeconds} s` : 'a few seconds';
  const patient = context.patientId || 'This patient';
  switch (error.code) {
    case 'VALIDATION_FAILED':
      return describeValidation(error, context);
    case 'PAYLOAD_TOO_LARGE': {
      if (context.action !== 'upload')
        return { field: null, text: 'What you entered is too long. Shorten it and try again.' };
      const max = error.maxBytes ?? bytesFromDetail(error.detail);
      const limit = max ? ` The largest file accepted is ${formatBytes(max)}.` : '';
      const size = context.file
        ? `This file is ${formatBytes(context.file.size)}, which is too large.`
        : 'This file is too large.';
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
      return {
        field: 'patient',
        text:
          session.role === 'provider'
            ? `No patient with the ID ${context.patientId} is enrolled. Check the ID, or enrol them first under “Enrol a patient”.`
            : 'No patient with this ID is registered. Check the ID and try again.',
      };
    case 'ALREADY_EXISTS':
      return context.action === 'create-provider'
        ? { field: 'provider', text: `A provider with the ID ${context.providerId} already exists. Choose another ID.` }
        : {
            field: 'patient',
            text: `${patient} is already enrolled. Their token was shown once, when they were enrolled, and cannot be shown again.`,
          };
    case 'CONSENT_REQUIRED':
      return {
        field: context.action === 'retrieve' ? 'patient' : null,
        text: `${patient} has not given your organisation consent to read this record.${
          session.me?.id ? ` Ask them to give consent to ${session.me.id}.` : ''
        }`,
      };
    case 'FORBIDDEN':
      return { field: null, text: forbiddenSentence(context) };
    case 'CHAIN_UNAVAILABLE':
      return describeUnavailable(context, ledger, wait);
    case 'RATE_LIMITED':
      return { field: null, text: `Too many requests in a short time; try again in ${wait}.` };
    case 'UNAUTHENTICATED':
      return { field: null, text: 'Your session has ended. Sign in again to continue.' };
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
        return {
          field: null,
          text: 'Something went wrong on the server. Please try again; if it keeps happening, contact support.',
        };
      }
      return { field: null, text: 'The request could not be completed. Please check what you entered and try again.' };
  }
}

function forbiddenSentence(context) {
  switch (context.action) {
    case 'grant':
    case 'revoke':
    case 'consents':
    case 'log':
      return 'Only the patient can see or change their consents and access log.';
    case 'create-provider':
      return 'Only the operator can create providers.';
    case 'enrol':
      return 'Only providers can enrol patients.';
    default:
      if (session.role === 'patient') return 'You can read and add to your own record only.';
      if (session.role === 'admin') return 'The operator account cannot see or add medical records.';
      return 'Your account is not allowed to do this.';
  }
}

function describeUnavailable(context, ledger, wait) {
  switch (context.action) {
    case 'grant':
      return {
        field: null,
        text: `A ledger could not be reached, so the consent was not saved on both. Try again in ${wait}.`,
      };
    case 'revoke':
      return {
        field: null,
        text: `The revoke did not reach every ledger, so ${context.providerId} may still be able to read your records there. Try again in ${wait}.`,
      };
    case 'consents':
    case 'log':
      return {
        field: null,
        text: `A ledger could not be reached, so this list could not be loaded. Try again in ${wait}.`,
      };
    case 'enrol':
    case 'create-provider':
      return { field: null, text: `A ledger could not be reached, so nothing was created. Try again in ${wait}.` };
    default:
      if (context.chain === 'both' || context.chain === 'any') {
        return { field: 'chain', text: `Neither ledger can be reached right now; try again in ${wait}.` };
      }
      return { field: 'chain', text: `${ledger} is unreachable right now; try again in ${wait}.` };
  }
}

function describeValidation(error, context) {
  const field = String(error.field ?? '').toLowerCase();
  const named = `${field} ${error.detail}`.toLowerCase();
  if (field === 'x-break-glass-reason' || /break-glass|reason/.test(named)) {
    return { field: 'reason', text: `Give a reason of 1 to ${MAX_REASON_CHARS} characters.` };
  }
  if (field === 'providerid' || (!field && /provider/.test(named))) {
    // The page checks the ID's shape first, so a well-formed ID refused here names no provider.
    const unknown = /no provider/.test(named) || (context.providerId && ID_PATTERN.test(context.providerId));
    return {
      field: 'provider',
      text:
        unknown && context.action === 'grant'
          ? `No provider with the ID ${context.providerId} exists. Check the ID with your clinic or hospital.`
          : PROVIDER_ID_RULE,
    };
  }
  if (field === 'name')
    return { field: 'name', text: `Enter the provider’s name, up to ${MAX_PROVIDER_NAME_CHARS} characters.` };
  if (field === 'expiresat' || /expires/.test(named)) {
    return { field: 'expires', text: 'Choose a date and time in the future, or leave it empty.' };
  }
  if (/patient/.test(named)) return { field: 'patient', text: PATIENT_ID_RULE };
  if (/chain|ledger/.test(named)) {
    return {
      field: 'chain',
      text:
        context.action === 'upload'
          ? 'Choose SUPchain, MEDchain or both ledgers.'
          : 'Choose SUPchain, MEDchain or either ledger.',
    };
  }
  if (/idempotency/.test(named)) {
    return { field: null, text: 'This upload could not be sent as it was. Choose the file again and retry.' };
  }
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
  return String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
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

function formatDate(iso, { seconds = false } = {}) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short' });
}

function timeElement(iso, options) {
  return el('time', { datetime: iso, title: iso, text: formatDate(iso, options) });
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

/** "0x1a2b…9f8e": enough of a record id to tell two apart; the full id is in the title. */
function shortId(hex) {
  const text = String(hex ?? '');
  return text.length > 14 ? `${text.slice(0, 8)}…${text.slice(-4)}` : text;
}

/** Fills a <dl> from [label, value] pairs; a value may be text or a node. */
function fillMeta(dl, rows) {
  dl.replaceChildren();
  for (const [label, value, className] of rows) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(
      el('div', { class: `meta__row ${className ?? ''}`.trim() }, el('dt', { text: label }), el('dd', {}, value)),
    );
  }
}

/** "3.1 MB" with the exact byte count beside it, since clinicians compare files by size. */
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
    ['Uploaded by', meta.uploader],
    ['Record ID', meta.recordId ? el('span', { class: 'mono', text: meta.recordId }) : null, 'meta__row--wide'],
    [transactions.length > 1 ? 'Transaction hashes' : 'Transaction hash', txNode, 'meta__row--wide'],
    ['Block', meta.blockNumber !== undefined && meta.blockNumber !== null ? String(meta.blockNumber) : null],
  ];
}

function setBusy(button, busy, busyText, idleText) {
  button.setAttribute('aria-disabled', String(busy));
  button.textContent = busy ? busyText : idleText;
  button.closest('form')?.setAttribute('aria-busy', String(busy));
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
  if (!ID_PATTERN.test(value)) return PATIENT_ID_RULE;
  return null;
}

function validateProviderId(value) {
  if (!value) return 'Enter the provider ID.';
  if (!ID_PATTERN.test(value)) return PROVIDER_ID_RULE;
  return null;
}

/** Clears a field's error as soon as what was typed would pass. */
function clearWhenValid(inputId, validate) {
  const input = $(inputId);
  input.addEventListener('input', () => {
    if (input.getAttribute('aria-invalid') === 'true' && !validate(input.value.trim())) {
      input.removeAttribute('aria-invalid');
      $(`${inputId}-error`).hidden = true;
      input.closest('.field')?.classList.remove('field--error');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Session and roles
// ---------------------------------------------------------------------------------------------

const session = {
  /** { id, role } from GET /me, or null. */
  me: null,
  /** 'admin' | 'provider' | 'patient' | 'open' | null (signed out). */
  role: null,
  /** A session ended in this tab: the next sign-in reloads the page so nothing of it stays. */
  ended: false,
};

/** Shows the cards meant for this role, and only those. */
function applyRole(role) {
  session.role = role;
  $('main').dataset.role = role ?? 'none';
  for (const card of document.querySelectorAll('[data-roles]')) {
    card.hidden = !role || !card.dataset.roles.split(/\s+/).includes(role);
  }
  const stacks = Array.from(document.querySelectorAll('.stack'));
  for (const stack of stacks) stack.hidden = !Array.from(stack.children).some((child) => !child.hidden);
  $('cards').classList.toggle('cards--single', stacks.filter((stack) => !stack.hidden).length < 2);
  configureOwnRecord(role === 'patient' ? session.me?.id : null);
}

/** A patient works on their own record only: the patient ID is filled in and locked. */
function configureOwnRecord(patientId) {
  for (const prefix of ['upload', 'retrieve']) {
    const input = $(`${prefix}-patient`);
    const wasLocked = input.readOnly;
    input.readOnly = Boolean(patientId);
    if (patientId) input.value = patientId;
    else if (wasLocked) input.value = '';
    $(`${prefix}-patient-hint`).textContent = patientId ? 'Your own patient ID.' : ID_HINT;
  }
  $('upload-title').textContent = patientId ? 'Upload to my record' : 'Upload a record';
  $('upload-intro').textContent = patientId
    ? 'Add a scan, photo or letter to your own record. Only you, and providers you give consent to, can read it.'
    : 'The file is encrypted on the server before it is written to the ledger you choose.';
  $('retrieve-title').textContent = patientId ? 'My records' : 'Retrieve records';
  $('retrieve-intro').textContent = patientId
    ? 'Your latest record on a ledger, and every earlier version.'
    : 'Shows the latest record for a patient, and every earlier version.';
}

const signInErrors = fieldErrors(
  { token: { control: '#sign-in-token', error: 'sign-in-token-error' } },
  'sign-in-token-error',
);

async function detectAuth() {
  let signedOut = false;
  try {
    signedOut = sessionStorage.getItem(SIGNED_OUT_KEY) === '1';
    sessionStorage.removeItem(SIGNED_OUT_KEY);
  } catch {
    signedOut = false;
  }
  let me;
  try {
    me = await api('/me');
  } catch (error) {
    if (error?.status === 404 || error?.status === 0) {
      applyRole('open'); // no access control (yet), or offline: the page works as before
      return;
    }
    auth.clear();
    const notice = signedOut
      ? 'You have signed out. Nothing from your session is left on this page.'
      : error?.status === 401
        ? ''
        : describeError(asApiError(error), { action: 'sign-in' }).text;
    showSignIn({ focus: signedOut, notice });
    return;
  }
  showSignedIn(me.data, { focus: false });
}

/** Reveals the sign-in card; called on load when the API wants a token, and on any 401. */
function showSignIn({ focus = true, notice = '' } = {}) {
  applyRole(null);
  $('sign-in').hidden = false;
  $('session').hidden = false;
  $('session-who').textContent = 'Not signed in';
  $('session-sign-out').hidden = true;
  $('sign-in-notice').textContent = notice;
  $('sign-in-notice').hidden = !notice;
  if (focus) $('sign-in-token').focus();
}

function showSignedIn(me, { focus }) {
  session.me = me;
  $('sign-in').hidden = true;
  $('session').hidden = false;
  $('session-who').textContent = me?.id ? `Signed in as ${me.id}${me.role ? ` (${me.role})` : ''}` : 'Signed in';
  $('session-sign-out').hidden = false;
  applyRole(me?.role ?? null);
  if (me?.role === 'patient') {
    loadConsents();
    loadAccessLog();
  }
  if (focus) {
    const target = { admin: 'provider-id', provider: 'enrol-patient', patient: 'retrieve-title' }[me?.role];
    $(target ?? 'main')?.focus();
  }
}

/** After a 401 anywhere: the token is missing, expired or revoked. */
function onUnauthenticated() {
  auth.clear();
  session.ended = true;
  showSignIn({ focus: true, notice: 'Your session has ended. Sign in again to continue.' });
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
    // Someone's session ended in this tab: start from a clean page, so nothing of theirs stays.
    if (session.ended) {
      window.location.reload();
      return;
    }
    $('sign-in-notice').hidden = true;
    showSignedIn(data, { focus: true });
  } catch (error) {
    auth.clear();
    const text =
      error?.status === 401
        ? 'This token was not recognised. Check that it was pasted in full and try again.'
        : describeError(asApiError(error), { action: 'sign-in' }).text;
    signInErrors.show('token', text);
  }
}

/** Signing out reloads the page: records, tokens shown once and blob: URLs all go with it. */
function onSignOut() {
  auth.clear();
  try {
    sessionStorage.setItem(SIGNED_OUT_KEY, '1');
  } catch {
    /* the notice is a nicety */
  }
  window.location.reload();
}

// ---------------------------------------------------------------------------------------------
// Tokens shown once (a new provider's, a new patient's)
// ---------------------------------------------------------------------------------------------

function tokenReveal(prefix) {
  const token = $(`${prefix}-token`);
  const status = $(`${prefix}-copy-status`);
  return {
    show(title, value) {
      $(`${prefix}-reveal-title`).textContent = title;
      token.value = value;
      status.textContent = '';
      $(`${prefix}-reveal`).hidden = false;
      $(`${prefix}-reveal-title`).focus();
    },
    /** Removes the token from the page for good. */
    hide() {
      token.value = '';
      status.textContent = '';
      $(`${prefix}-reveal`).hidden = true;
    },
    async copy() {
      if (!token.value) return;
      try {
        await navigator.clipboard.writeText(token.value);
        status.textContent = 'Token copied. Paste it only into a safe message.';
      } catch {
        token.focus();
        token.select();
        let copied = false;
        try {
          copied = document.execCommand('copy');
        } catch {
          copied = false;
        }
        status.textContent = copied
          ? 'Token copied. Paste it only into a safe message.'
          : 'The token is selected: press Ctrl+C (⌘+C on a Mac) to copy it.';
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Admin: create a provider
// ---------------------------------------------------------------------------------------------

const providerReveal = tokenReveal('provider');
const providerErrors = fieldErrors(
  {
    provider: { control: '#provider-id', error: 'provider-id-error' },
    name: { control: '#provider-name', error: 'provider-name-error' },
  },
  'provider-error',
);
let providerBusy = false;

async function onProviderSubmit(event) {
  event.preventDefault();
  if (providerBusy) return;
  providerErrors.clear();
  providerReveal.hide();
  const providerId = $('provider-id').value.trim();
  const name = $('provider-name').value.trim();
  const problems = [];
  const idProblem = validateProviderId(providerId);
  if (idProblem) problems.push(['provider', idProblem]);
  if (!name) problems.push(['name', 'Enter the provider’s name.']);
  else if (name.length > MAX_PROVIDER_NAME_CHARS)
    problems.push(['name', `Shorten the name to ${MAX_PROVIDER_NAME_CHARS} characters or fewer.`]);
  if (problems.length > 0) {
    problems.forEach(([field, text], index) => providerErrors.show(field, text, { focus: index === 0 }));
    $('provider-status').textContent = 'Not created: please correct the highlighted field.';
    return;
  }

  providerBusy = true;
  setBusy($('provider-submit'), true, 'Creating…', 'Create provider');
  $('provider-status').textContent = `Creating ${providerId}…`;
  try {
    const { data } = await api('/providers', { method: 'POST', json: { providerId, name } });
    $('provider-id').value = '';
    $('provider-name').value = '';
    $('provider-status').textContent = `Provider ${data.providerId} created. Its token is shown below, once.`;
    providerReveal.show(`${name} (${data.providerId}) can now sign in`, data.token);
  } catch (error) {
    const { field, text } = describeError(asApiError(error), { action: 'create-provider', providerId });
    providerErrors.show(field, text);
    $('provider-status').textContent = 'Not created.';
    if (error?.status === 401) onUnauthenticated();
  } finally {
    providerBusy = false;
    setBusy($('provider-submit'), false, 'Creating…', 'Create provider');
  }
}

// ---------------------------------------------------------------------------------------------
// Provider: enrol a patient
// ---------------------------------------------------------------------------------------------

const enrolReveal = tokenReveal('enrol');
const enrolErrors = fieldErrors(
  { patient: { control: '#enrol-patient', error: 'enrol-patient-error' } },
  'enrol-error',
);
const enrol = { busy: false, patientId: null };

async function onEnrolSubmit(event) {
  event.preventDefault();
  if (enrol.busy) return;
  enrolErrors.clear();
  enrolReveal.hide();
  const patientId = $('enrol-patient').value.trim();
  const problem = validatePatientId(patientId);
  if (problem) {
    enrolErrors.show('patient', problem);
    $('enrol-status').textContent = 'Not enrolled: please correct the highlighted field.';
    return;
  }
  enrol.busy = true;
  setBusy($('enrol-submit'), true, 'Enrolling…', 'Enrol patient');
  $('enrol-status').textContent = `Enrolling ${patientId}…`;
  try {
    const { data } = await api('/patients', { method: 'POST', json: { patientId } });
    enrol.patientId = data.patientId;
    $('enrol-patient').value = '';
    $('enrol-status').textContent = `${data.patientId} is enrolled. Their token is shown below, once.`;
    enrolReveal.show(`${data.patientId} is enrolled`, data.token);
  } catch (error) {
    const { field, text } = describeError(asApiError(error), { action: 'enrol', patientId });
    enrolErrors.show(field, text);
    $('enrol-status').textContent = 'Not enrolled.';
    if (error?.status === 401) onUnauthenticated();
  } finally {
    enrol.busy = false;
    setBusy($('enrol-submit'), false, 'Enrolling…', 'Enrol patient');
  }
}

function onEnrolUpload() {
  if (!enrol.patientId) return;
  $('upload-patient').value = enrol.patientId;
  upload.idempotencyKey = null;
  $('upload-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
  $('upload-file').focus({ preventScroll: true });
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
  if (!chain) problems.push(['chain', 'Choose SUPchain, MEDchain or both ledgers.']);
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
    const { status, data } = await api(patientPath(patientId), {
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
    $('upload-progress').value = 100;
    upload.lastResult = { patientId, chain, meta: data ?? {} };
    showUploadResult(data ?? {}, chain, status);
  } catch (error) {
    if (error?.name === 'AbortError') return;
    $('upload-progress-block').hidden = true;
    const { field, text } = describeError(asApiError(error), { action: 'upload', chain, file, patientId });
    if (error?.code !== 'NETWORK_ERROR') upload.idempotencyKey = null;
    uploadErrors.show(field, text);
    $('upload-status').textContent = 'Not uploaded.';
    if (error?.status === 401) onUnauthenticated();
  } finally {
    setUploadBusy(false);
  }
}

function setUploadBusy(busy) {
  upload.busy = busy;
  setBusy($('upload-submit'), busy, 'Uploading…', 'Upload');
}

/** Per-ledger state of a chain=both upload: { supchain: 'committed', medchain: 'pending' }. */
function replicaStates(replicas) {
  const states = {};
  for (const [chain, replica] of Object.entries(replicas ?? {})) {
    states[chain] = typeof replica === 'string' ? replica : String(replica?.status ?? '');
  }
  return states;
}

function showUploadResult(meta, chain, httpStatus) {
  const replicas = meta.replicas && typeof meta.replicas === 'object' ? meta.replicas : null;
  const name = meta.fileName ?? 'the file';
  const result = $('upload-result');
  if (!replicas) {
    fillMeta($('upload-result-meta'), metadataRows({ chain, ...meta }));
    $('upload-result-title').textContent = 'Record stored';
    $('upload-result-note').hidden = true;
    $('upload-recheck').hidden = true;
    result.classList.remove('result--partial');
    result.hidden = false;
    const version = meta.version !== undefined ? `version ${meta.version}` : 'the record';
    $('upload-status').textContent = `Stored ${version} of ${name} on ${ledgerLabel(meta.chain ?? chain)}.`;
    return;
  }
  upload.replicas = replicas;
  renderReplicas(meta, replicaStates(replicas), httpStatus === 202);
  result.hidden = false;
}

/** A chain=both upload: one row per ledger, and a plain sentence when a copy is still owed. */
function renderReplicas(meta, states, accepted) {
  const name = meta.fileName ?? 'the file';
  const stored = Object.keys(states).filter((chain) => states[chain] === 'committed');
  const waiting = Object.keys(states).filter((chain) => states[chain] !== 'committed');
  const partial = accepted || waiting.length > 0;
  const versionOf = (chain) => upload.replicas?.[chain]?.version;
  const ledgerRows = Object.entries(states).map(([chain, state]) => {
    const version = state === 'committed' && versionOf(chain) !== undefined ? `, version ${versionOf(chain)}` : '';
    return [
      `${ledgerLabel(chain)} copy`,
      el('span', { class: `replica replica--${state}` }, `${REPLICA_LABELS[state] ?? state}${version}`),
    ];
  });
  const rows = [
    ...ledgerRows,
    ...metadataRows({ ...meta, chain: null, version: undefined, transactions: [], blockNumber: null }),
  ];
  fillMeta($('upload-result-meta'), rows);

  const result = $('upload-result');
  result.classList.toggle('result--partial', partial);
  $('upload-result-title').textContent = partial
    ? `Stored on ${stored.map(ledgerLabel).join(' and ') || 'one ledger'} only, for now`
    : 'Record stored on both ledgers';
  const note = $('upload-result-note');
  if (partial) {
    const missing = waiting.map(ledgerLabel).join(' and ') || 'One ledger';
    note.textContent = `${missing} could not be reached. The record is safe on ${stored.map(ledgerLabel).join(' and ') || 'the other ledger'}, and the copy will be written to ${missing} when it returns.`;
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  $('upload-recheck').hidden = !partial || !apiPathOf(meta.statusUrl);
  const versions = stored.map(
    (chain) => `${ledgerLabel(chain)}${versionOf(chain) !== undefined ? ` (version ${versionOf(chain)})` : ''}`,
  );
  $('upload-status').textContent = partial
    ? `Stored ${name} on ${versions.join(' and ')}; the ${waiting.map(ledgerLabel).join(' and ')} copy is still to be written.`
    : `Stored ${name} on ${versions.join(' and ')}.`;
}

async function onUploadRecheck() {
  const meta = upload.lastResult?.meta;
  const path = apiPathOf(meta?.statusUrl);
  if (!meta || !path) return;
  $('upload-status').textContent = 'Checking where the copies are…';
  try {
    const { data } = await api(path);
    renderReplicas(meta, replicaStates(data?.chains), !data?.complete);
    if (data?.complete) $('upload-result-title').focus();
  } catch (error) {
    const { text } = describeError(asApiError(error), { action: 'replicas', chain: 'both' });
    $('upload-status').textContent = `Could not check the copies. ${text}`;
  }
}

function onUploadView() {
  const result = upload.lastResult;
  if (!result) return;
  $('retrieve-patient').value = result.patientId;
  const chain = String(result.meta.chain ?? result.chain).toLowerCase();
  checkRadio('retrieve-chain', chain === 'both' ? 'any' : chain);
  $('retrieve-title').focus();
  $('retrieve-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
  retrieveLatest();
}

// ---------------------------------------------------------------------------------------------
// Retrieve card: latest record, viewer and paged history (and emergency access for providers)
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
  /** Set only for reads the provider opened through the emergency dialog. */
  breakGlassReason: null,
  /** The read that was refused for want of consent: { patientId, chain }. */
  refused: null,
};

const retrieveErrors = fieldErrors(
  {
    patient: { control: '#retrieve-patient', error: 'retrieve-patient-error' },
    chain: { control: 'input[name="retrieve-chain"]', error: 'retrieve-chain-error' },
  },
  'retrieve-error',
);

/** Every read in an emergency session carries the reason; ordinary reads carry nothing. */
function readHeaders() {
  return retrieve.breakGlassReason ? { 'X-Break-Glass-Reason': retrieve.breakGlassReason } : {};
}

async function onRetrieveSubmit(event) {
  event.preventDefault();
  await retrieveLatest();
}

/**
 * Reads the latest record, then the history. Sequential on purpose: a read that is refused
 * does not go on to list (and log) the history. Without arguments it reads what the form says.
 */
async function retrieveLatest({
  patientId = $('retrieve-patient').value.trim(),
  chain = checkedValue('retrieve-chain'),
  breakGlassReason = null,
} = {}) {
  retrieveErrors.clear();
  const patientProblem = validatePatientId(patientId);
  if (patientProblem) {
    retrieveErrors.show('patient', patientProblem);
    $('retrieve-status').textContent = 'Not retrieved: please correct the highlighted field.';
    return;
  }

  retrieve.controller?.abort();
  const controller = new AbortController();
  const generation = ++retrieve.generation;
  Object.assign(retrieve, {
    patientId,
    chain,
    items: [],
    nextCursor: null,
    shownRecordId: null,
    controller,
    breakGlassReason,
    refused: null,
  });
  const stale = () => generation !== retrieve.generation;

  $('retrieve-empty').hidden = true;
  $('emergency-offer').hidden = true;
  $('retrieve-status').classList.remove('visually-hidden');
  $('retrieve-result').hidden = true;
  $('retrieve-form').setAttribute('aria-busy', 'true');
  $('retrieve-status').textContent = breakGlassReason
    ? `Opening ${patientId}’s records from ${ledgerLabel(chain)} under emergency access…`
    : `Retrieving records from ${ledgerLabel(chain)}…`;

  let latest;
  try {
    latest = await api(patientPath(patientId, '/latest'), {
      query: { chain },
      as: 'blob',
      headers: readHeaders(),
      signal: controller.signal,
    });
  } catch (error) {
    if (stale()) return;
    $('retrieve-form').setAttribute('aria-busy', 'false');
    showRetrieveError(error, { patientId, chain });
    return;
  }
  let history;
  try {
    history = {
      value: await api(patientPath(patientId), {
        query: { chain, limit: HISTORY_PAGE_SIZE },
        headers: readHeaders(),
        signal: controller.signal,
      }),
    };
  } catch (error) {
    history = { reason: error };
  }
  if (stale()) return;
  $('retrieve-form').setAttribute('aria-busy', 'false');

  const page = history.value?.data ?? null;
  retrieve.items = Array.isArray(page?.items) ? page.items : [];
  retrieve.nextCursor = page?.nextCursor ?? null;

  const recordId = latest.headers.get('X-Record-Id');
  let meta = retrieve.items.find((item) => item.recordId === recordId);
  if (!meta && recordId) {
    meta = await api(patientPath(patientId, `/${encodeURIComponent(recordId)}/metadata`), {
      query: { chain },
      headers: readHeaders(),
      signal: controller.signal,
    })
      .then((r) => r.data)
      .catch(() => null);
    if (stale()) return;
  }
  meta ??= {
    recordId,
    chain,
    contentType: latest.data.type,
    size: latest.data.size,
    fileName: fileNameFromDisposition(latest.headers.get('Content-Disposition')),
  };

  renderHistory();
  showRecord(meta, latest.data, { latest: true });
  showEmergencyBanner();
  $('retrieve-result').hidden = false;
  if (history.reason && history.reason.name !== 'AbortError') {
    const { text } = describeError(asApiError(history.reason), { action: 'retrieve', chain, patientId });
    retrieveErrors.show(null, `The list of earlier versions could not be loaded. ${text}`);
  }
  const from = ledgerLabel(meta.chain && meta.chain !== 'any' ? meta.chain : chain);
  $('retrieve-status').textContent = breakGlassReason
    ? `Showing the latest record (${describeShort(meta)}) from ${from}, opened under emergency access.`
    : `Showing the latest record (${describeShort(meta)}) from ${from}.`;
}

function showRetrieveError(error, { patientId, chain }) {
  if (error?.name === 'AbortError') return;
  const problem = asApiError(error);
  const { field, text, notice } = describeError(problem, { action: 'retrieve', chain, patientId });
  if (field === 'reason') {
    // The server refused the emergency reason: ask for it again, next to the reason field.
    retrieve.refused = { patientId, chain };
    $('retrieve-status').textContent = 'Not opened: the reason was not accepted.';
    openEmergencyDialog({ error: text });
    return;
  }
  if (notice) {
    $('retrieve-empty').textContent = text;
    $('retrieve-empty').hidden = false;
    // Still announced through the live region, but shown once: in the notice box.
    $('retrieve-status').classList.add('visually-hidden');
    $('retrieve-status').textContent = text;
    return;
  }
  const refused = problem.code === 'CONSENT_REQUIRED' && session.role === 'provider' && !retrieve.breakGlassReason;
  retrieveErrors.show(field, text, { focus: !refused });
  if (refused) {
    retrieve.refused = { patientId, chain };
    $('emergency-offer-text').textContent =
      `If ${patientId} needs care now and cannot give consent, you can still open their records. ` +
      'You must give a reason; the read is logged and shown to the patient.';
    $('emergency-offer').hidden = false;
    // Announced, but not shown a second time: the sentence is already by the Patient ID field.
    $('retrieve-status').classList.add('visually-hidden');
    $('retrieve-status').textContent =
      `Not retrieved: ${patientId} has not given consent. Emergency access is offered below the form.`;
    return;
  }
  $('retrieve-status').textContent = 'Not retrieved.';
  if (problem.status === 401) onUnauthenticated();
}

function showEmergencyBanner() {
  const reason = retrieve.breakGlassReason;
  $('emergency-banner').hidden = !reason;
  $('emergency-banner-text').textContent = reason
    ? `This read is logged and shown to ${retrieve.patientId}. Your reason: “${reason}”`
    : '';
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
      el(
        'span',
        {},
        el('span', { class: 'history__version', text: version }),
        isLatest ? ' ' : null,
        isLatest ? el('span', { class: 'badge', text: 'Latest' }) : null,
      ),
    ),
    el('td', { 'data-label': 'Stored' }, item.createdAt ? timeElement(item.createdAt) : el('span')),
    el(
      'td',
      { 'data-label': 'File', class: 'history__file' },
      el(
        'span',
        {},
        el('span', { class: 'history__name', text: item.fileName ?? '' }),
        el('span', { class: 'history__type', text: typeLabel(item.contentType) }),
      ),
    ),
    el('td', { 'data-label': 'Size' }, el('span', { text: Number.isFinite(item.size) ? formatBytes(item.size) : '' })),
    el(
      'td',
      { class: 'history__actions' },
      el(
        'button',
        { type: 'button', class: 'button button--small', 'data-action': 'open', onclick: () => openVersion(item) },
        'Open',
        hidden(` version ${version}`),
      ),
      el(
        'button',
        {
          type: 'button',
          class: 'button button--small',
          'data-action': 'download',
          onclick: () => downloadVersion(item),
        },
        'Download',
        hidden(` version ${version}`),
      ),
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
  const own = String(item.chain ?? '').toLowerCase();
  const chain = own === 'supchain' || own === 'medchain' ? own : retrieve.chain;
  const { data } = await api(patientPath(retrieve.patientId, `/${encodeURIComponent(item.recordId)}`), {
    query: { chain },
    as: 'blob',
    headers: readHeaders(),
  });
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
    const { text } = describeError(asApiError(error), {
      action: 'open',
      chain: retrieve.chain,
      patientId: retrieve.patientId,
    });
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
    const { text } = describeError(asApiError(error), {
      action: 'open',
      chain: retrieve.chain,
      patientId: retrieve.patientId,
    });
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
      headers: readHeaders(),
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
    const { text } = describeError(asApiError(error), {
      action: 'retrieve',
      chain: retrieve.chain,
      patientId: retrieve.patientId,
    });
    retrieveErrors.show(null, text);
    $('retrieve-status').textContent = 'Earlier versions could not be loaded.';
  } finally {
    retrieve.loadingMore = false;
    button.setAttribute('aria-disabled', 'false');
  }
}

// ---------------------------------------------------------------------------------------------
// Emergency (break-glass) dialog
// ---------------------------------------------------------------------------------------------

const emergencyErrors = fieldErrors(
  { reason: { control: '#emergency-reason', error: 'emergency-reason-error' } },
  'emergency-reason-error',
);

/** Typographic characters a keyboard inserts, mapped to ones an HTTP header can carry. */
const HEADER_SAFE_REPLACEMENTS = [
  [/[\u2018\u2019\u201A\u201B\u2032]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/\u2026/g, '...'],
  [/[\u00A0\u2007\u202F]/g, ' '],
];

/**
 * The reason as it can travel in X-Break-Glass-Reason: one line (headers cannot hold line
 * breaks), curly quotes and dashes made plain, and nothing a header cannot carry.
 */
function normaliseReason(raw) {
  let reason = String(raw ?? '').normalize('NFC');
  for (const [pattern, replacement] of HEADER_SAFE_REPLACEMENTS) reason = reason.replace(pattern, replacement);
  reason = reason.replace(/[\s\u0000-\u001F\u007F]+/g, ' ').trim();
  if (!reason) return { problem: 'Enter the reason for emergency access.' };
  if (reason.length > MAX_REASON_CHARS) {
    return { problem: `Shorten the reason to ${MAX_REASON_CHARS} characters or fewer; it has ${reason.length}.` };
  }
  const unsupported = [...new Set(Array.from(reason).filter((c) => c.codePointAt(0) > MAX_HEADER_CODE_POINT))];
  if (unsupported.length > 0) {
    const shown = unsupported
      .slice(0, 3)
      .map((c) => `“${c}”`)
      .join(', ');
    return { problem: `The reason cannot include ${shown}. Use Latin letters, digits and ordinary punctuation.` };
  }
  return { reason };
}

function updateReasonCount() {
  const length = $('emergency-reason').value.length;
  if (
    length > 0 &&
    $('emergency-reason').getAttribute('aria-invalid') === 'true' &&
    !normaliseReason($('emergency-reason').value).problem
  ) {
    emergencyErrors.clear();
  }
  $('emergency-reason-count').textContent = `${length} of ${MAX_REASON_CHARS} characters`;
}

function openEmergencyDialog({ error } = {}) {
  const refused = retrieve.refused;
  if (!refused) return;
  $('emergency-title').textContent = `Emergency access to ${refused.patientId}’s records`;
  emergencyErrors.clear();
  if (!error) $('emergency-reason').value = '';
  updateReasonCount();
  const dialog = $('emergency-dialog');
  if (!dialog.open) dialog.showModal();
  if (error) emergencyErrors.show('reason', error);
  else $('emergency-reason').focus();
}

function onEmergencySubmit(event) {
  event.preventDefault();
  emergencyErrors.clear();
  const refused = retrieve.refused;
  if (!refused) return;
  const { reason, problem } = normaliseReason($('emergency-reason').value);
  if (problem) {
    emergencyErrors.show('reason', problem);
    return;
  }
  $('emergency-dialog').close();
  $('retrieve-patient').value = refused.patientId;
  checkRadio('retrieve-chain', refused.chain);
  retrieveLatest({ patientId: refused.patientId, chain: refused.chain, breakGlassReason: reason }).then(() => {
    if (!$('retrieve-result').hidden) $('viewer-title').focus();
  });
}

function onEmergencyCancel() {
  $('emergency-dialog').close();
  $('emergency-open').focus();
}

// ---------------------------------------------------------------------------------------------
// Patient: consents
// ---------------------------------------------------------------------------------------------

const consents = { items: [], busy: false, revoking: null, returnFocus: null };
const grantErrors = fieldErrors(
  {
    provider: { control: '#grant-provider', error: 'grant-provider-error' },
    expires: { control: '#grant-expires', error: 'grant-expires-error' },
  },
  'grant-error',
);

async function loadConsents() {
  const patientId = session.me?.id;
  if (!patientId) return;
  $('consents-error').hidden = true;
  $('consents-status').textContent = 'Loading your consents…';
  try {
    const { data } = await api(accessPath(patientId, 'consents'));
    consents.items = Array.isArray(data) ? data : [];
    renderConsents();
    $('consents-status').textContent = '';
  } catch (error) {
    $('consents-status').textContent = '';
    $('consents-error').textContent = describeError(asApiError(error), { action: 'consents' }).text;
    $('consents-error').hidden = false;
    if (error?.status === 401) onUnauthenticated();
  }
}

function renderConsents() {
  const list = $('consent-list');
  list.replaceChildren(...consents.items.map(consentItem));
  list.hidden = consents.items.length === 0;
  $('consents-empty').hidden = consents.items.length > 0;
}

function consentItem(consent) {
  const providerId = String(consent.providerId ?? '');
  const active = consent.active !== false;
  const chains = Array.isArray(consent.chains) ? consent.chains.map(ledgerLabel).join(' and ') : '';
  const hidden = (text) => el('span', { class: 'visually-hidden', text });
  return el(
    'li',
    { class: `consent${active ? '' : ' consent--expired'}`, 'data-provider-id': providerId },
    el(
      'div',
      { class: 'consent__head' },
      el('span', { class: 'consent__provider', text: providerId }),
      el('span', { class: `badge ${active ? 'badge--ok' : 'badge--muted'}`, text: active ? 'Active' : 'Expired' }),
    ),
    el(
      'dl',
      { class: 'consent__meta' },
      el('div', {}, el('dt', { text: 'Given' }), el('dd', {}, consent.grantedAt ? timeElement(consent.grantedAt) : '')),
      el(
        'div',
        {},
        el('dt', { text: active ? 'Until' : 'Ended' }),
        el('dd', {}, consent.expiresAt ? timeElement(consent.expiresAt) : 'Until you revoke it'),
      ),
      chains ? el('div', {}, el('dt', { text: 'Ledgers' }), el('dd', { text: chains })) : null,
    ),
    el(
      'div',
      { class: 'consent__actions' },
      el(
        'button',
        {
          type: 'button',
          class: 'button button--small button--danger-outline',
          'data-action': 'revoke',
          onclick: (event) => askRevoke(providerId, event.currentTarget),
        },
        active ? 'Revoke' : 'Remove',
        hidden(active ? ` consent for ${providerId}` : ` expired consent for ${providerId}`),
      ),
    ),
  );
}

/** The datetime-local value as an ISO instant; the browser reads it in the user's time zone. */
function expiryFromInput(input) {
  if (input.validity.badInput) return { problem: 'Enter a complete date and time, or leave it empty.' };
  if (!input.value) return { expiresAt: undefined };
  const date = new Date(input.value);
  if (Number.isNaN(date.getTime())) return { problem: 'Enter a complete date and time, or leave it empty.' };
  if (date.getTime() <= Date.now()) return { problem: 'Choose a date and time in the future, or leave it empty.' };
  return { expiresAt: date.toISOString(), date };
}

async function onGrantSubmit(event) {
  event.preventDefault();
  if (consents.busy) return;
  grantErrors.clear();
  const patientId = session.me?.id;
  const providerId = $('grant-provider').value.trim();
  const expiry = expiryFromInput($('grant-expires'));
  const problems = [];
  const idProblem = validateProviderId(providerId);
  if (idProblem) problems.push(['provider', idProblem]);
  if (expiry.problem) problems.push(['expires', expiry.problem]);
  if (problems.length > 0) {
    problems.forEach(([field, text], index) => grantErrors.show(field, text, { focus: index === 0 }));
    $('grant-status').textContent = 'Consent not given: please correct the highlighted field.';
    return;
  }

  consents.busy = true;
  $('consents-status').textContent = '';
  setBusy($('grant-submit'), true, 'Giving consent…', 'Give consent');
  $('grant-status').textContent = `Giving ${providerId} consent…`;
  try {
    const body = expiry.expiresAt ? { providerId, expiresAt: expiry.expiresAt } : { providerId };
    const { data } = await api(accessPath(patientId, 'consents'), { method: 'POST', json: body });
    const granted =
      data && typeof data === 'object' ? data : { providerId, expiresAt: expiry.expiresAt ?? null, active: true };
    consents.items = [granted, ...consents.items.filter((c) => c.providerId !== granted.providerId)];
    renderConsents();
    $('grant-provider').value = '';
    $('grant-expires').value = '';
    const until = granted.expiresAt ? ` until ${formatDate(granted.expiresAt)}` : ' until you revoke it';
    $('grant-status').textContent = `${granted.providerId} can now read your records${until}.`;
  } catch (error) {
    const { field, text } = describeError(asApiError(error), { action: 'grant', providerId });
    grantErrors.show(field, text);
    $('grant-status').textContent = 'Consent not given.';
    if (error?.status === 401) onUnauthenticated();
  } finally {
    consents.busy = false;
    setBusy($('grant-submit'), false, 'Giving consent…', 'Give consent');
  }
}

function askRevoke(providerId, button) {
  consents.revoking = providerId;
  consents.returnFocus = button;
  $('revoke-title').textContent = `Revoke consent for ${providerId}?`;
  $('revoke-text').textContent =
    `${providerId} will no longer be able to read your records, from its next attempt on. ` +
    'An emergency read stays possible, and would be flagged in your access log.';
  $('revoke-dialog').showModal();
  $('revoke-cancel').focus();
}

function onRevokeCancel() {
  $('revoke-dialog').close();
  consents.returnFocus?.focus();
}

async function onRevokeConfirm(event) {
  event.preventDefault();
  const providerId = consents.revoking;
  $('revoke-dialog').close();
  if (!providerId) return;
  const patientId = session.me?.id;
  $('consents-error').hidden = true;
  $('grant-status').textContent = '';
  $('consents-status').textContent = `Revoking consent for ${providerId}…`;
  try {
    await api(accessPath(patientId, `consents/${encodeURIComponent(providerId)}`), { method: 'DELETE', as: 'none' });
    consents.items = consents.items.filter((c) => c.providerId !== providerId);
    renderConsents();
    $('consents-status').textContent =
      `Consent for ${providerId} revoked. ${providerId} can no longer read your records.`;
    $('consents-title').focus();
  } catch (error) {
    $('consents-status').textContent = '';
    $('consents-error').textContent = describeError(asApiError(error), { action: 'revoke', providerId }).text;
    $('consents-error').hidden = false;
    consents.returnFocus?.focus();
    if (error?.status === 401) onUnauthenticated();
  } finally {
    consents.revoking = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Patient: access log
// ---------------------------------------------------------------------------------------------

/** "chain:recordId" → "scan.png (version 2)": the patient's own metadata reads are not logged. */
const recordNames = new Map();

async function loadAccessLog({ announce = false } = {}) {
  const patientId = session.me?.id;
  if (!patientId) return;
  $('log-error').hidden = true;
  $('log-status').textContent = 'Loading the access log…';
  try {
    const { data } = await api(accessPath(patientId, 'access-log'));
    const entries = (Array.isArray(data) ? data : []).slice().sort((a, b) => String(b.at).localeCompare(String(a.at)));
    await resolveRecordNames(patientId, entries);
    renderAccessLog(entries);
    const emergencies = entries.filter(isEmergency).length;
    $('log-status').textContent = announce
      ? `Access log updated: ${entries.length} ${entries.length === 1 ? 'read' : 'reads'}${emergencies ? `, ${emergencies} in an emergency` : ''}.`
      : '';
  } catch (error) {
    $('log-status').textContent = '';
    $('log-error').textContent = describeError(asApiError(error), { action: 'log' }).text;
    $('log-error').hidden = false;
    if (error?.status === 401) onUnauthenticated();
  }
}

function isEmergency(entry) {
  return entry.emergency === true || entry.kind === 'emergency';
}

async function resolveRecordNames(patientId, entries) {
  const wanted = [];
  for (const entry of entries) {
    const key = `${entry.chain}:${entry.recordId}`;
    if (entry.recordId && !recordNames.has(key) && !wanted.some((w) => w.key === key)) wanted.push({ key, entry });
  }
  await Promise.all(
    wanted.slice(0, MAX_LOG_NAME_LOOKUPS).map(async ({ key, entry }) => {
      try {
        const { data } = await api(patientPath(patientId, `/${encodeURIComponent(entry.recordId)}/metadata`), {
          query: { chain: entry.chain },
        });
        recordNames.set(
          key,
          `${data.fileName ?? 'a record'}${data.version !== undefined ? ` (version ${data.version})` : ''}`,
        );
      } catch {
        recordNames.set(key, null);
      }
    }),
  );
}

function renderAccessLog(entries) {
  $('log-list').replaceChildren(...entries.map(logEntry));
  $('log-list').hidden = entries.length === 0;
  $('log-empty').hidden = entries.length > 0;
  const emergencies = entries.filter(isEmergency).length;
  const summary = $('log-summary');
  summary.hidden = emergencies === 0;
  summary.replaceChildren(
    el(
      'span',
      { class: 'flag flag--emergency' },
      el('span', { 'aria-hidden': 'true', text: '⚠ ' }),
      'Emergency access',
    ),
    ` ${emergencies} ${emergencies === 1 ? 'read was' : 'reads were'} made in an emergency, without your consent. Each shows the reason given.`,
  );
}

function logEntry(entry) {
  const emergency = isEmergency(entry);
  const name = entry.recordId ? recordNames.get(`${entry.chain}:${entry.recordId}`) : null;
  const what = entry.recordId
    ? el(
        'span',
        {},
        'opened ',
        name
          ? el('span', { class: 'log-entry__record', text: name })
          : el('span', { class: 'mono', title: entry.recordId, text: `a record (${shortId(entry.recordId)})` }),
      )
    : 'listed your records';
  const role = entry.accessorRole && entry.accessorRole !== 'unknown' ? ` (${entry.accessorRole})` : '';
  return el(
    'li',
    {
      class: `log-entry${emergency ? ' log-entry--emergency' : ''}`,
      'data-kind': entry.kind ?? '',
      'data-emergency': String(emergency),
    },
    emergency
      ? el(
          'p',
          { class: 'log-entry__flag' },
          el(
            'span',
            { class: 'flag flag--emergency' },
            el('span', { 'aria-hidden': 'true', text: '⚠ ' }),
            'Emergency access',
          ),
        )
      : null,
    el(
      'p',
      { class: 'log-entry__what' },
      el('strong', { text: entry.accessorId ?? 'Someone' }),
      `${role} `,
      what,
      ` on ${ledgerLabel(entry.chain)}`,
    ),
    entry.reason
      ? el(
          'p',
          { class: 'log-entry__reason' },
          el('span', { class: 'log-entry__label', text: 'Reason given: ' }),
          el('span', { class: 'log-entry__quote', text: `“${entry.reason}”` }),
        )
      : null,
    el(
      'p',
      { class: 'log-entry__meta' },
      entry.at ? timeElement(entry.at, { seconds: true }) : null,
      ' · ',
      ACCESS_KIND_LABELS[entry.kind] ?? String(entry.kind ?? ''),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

function start() {
  wireDropzone();
  $('upload-form').addEventListener('submit', onUploadSubmit);
  $('upload-view').addEventListener('click', onUploadView);
  $('upload-recheck').addEventListener('click', onUploadRecheck);
  $('retrieve-form').addEventListener('submit', onRetrieveSubmit);
  $('history-more').addEventListener('click', loadMoreHistory);
  $('sign-in-form').addEventListener('submit', onSignInSubmit);
  $('session-sign-out').addEventListener('click', onSignOut);

  $('provider-form').addEventListener('submit', onProviderSubmit);
  $('provider-copy').addEventListener('click', () => providerReveal.copy());
  $('provider-done').addEventListener('click', () => {
    providerReveal.hide();
    $('provider-status').textContent = 'The token is no longer shown.';
    $('provider-id').focus();
  });

  $('enrol-form').addEventListener('submit', onEnrolSubmit);
  $('enrol-copy').addEventListener('click', () => enrolReveal.copy());
  $('enrol-done').addEventListener('click', () => {
    enrolReveal.hide();
    $('enrol-status').textContent = 'The token is no longer shown.';
    $('enrol-patient').focus();
  });
  $('enrol-upload').addEventListener('click', onEnrolUpload);

  $('emergency-open').addEventListener('click', () => openEmergencyDialog());
  $('emergency-form').addEventListener('submit', onEmergencySubmit);
  $('emergency-cancel').addEventListener('click', onEmergencyCancel);
  $('emergency-reason').addEventListener('input', updateReasonCount);

  $('grant-form').addEventListener('submit', onGrantSubmit);
  $('revoke-form').addEventListener('submit', onRevokeConfirm);
  $('revoke-cancel').addEventListener('click', onRevokeCancel);
  $('log-refresh').addEventListener('click', () => loadAccessLog({ announce: true }));

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone)
    $('grant-expires-hint').textContent =
      `Leave empty to allow reading until you revoke consent. Date and time in your time zone (${zone}).`;

  for (const id of ['upload-patient', 'retrieve-patient', 'enrol-patient']) clearWhenValid(id, validatePatientId);
  for (const id of ['provider-id', 'grant-provider']) clearWhenValid(id, validateProviderId);
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
