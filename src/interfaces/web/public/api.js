// @ts-check
/**
 * The only module that talks HTTP. Speaks the REST contract in API.md (base path /api/v1) and
 * is the one place the Authorization header is added. Any 401 calls the one unauthenticated
 * hook (the session's), except on the requests that check a token themselves.
 */

const API_BASE = '/api/v1';
const TOKEN_STORAGE_KEY = 'emr.accessToken';
const ACCEPT = 'application/json, application/problem+json;q=0.9, */*;q=0.8';

/** A failed request, already reduced to the problem+json fields the page switches on. */
export class ApiError extends Error {
  /**
   * @param {{ status: number, code: string, detail?: string, retryAfterSeconds?: number | null,
   *   field?: string | null, maxBytes?: number | null }} fields
   */
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

/** The access token: sessionStorage only, so it is per tab and gone when the tab closes. */
export const token = {
  /** @returns {string | null} */
  get() {
    try {
      return sessionStorage.getItem(TOKEN_STORAGE_KEY);
    } catch {
      return null;
    }
  },
  /** @param {string} value */
  save(value) {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, value);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  },
};

/** @type {() => void} */
let unauthenticated = () => {};

/** @param {() => void} hook called after any 401 (the token is missing, expired or revoked) */
export function onUnauthenticated(hook) {
  unauthenticated = hook;
}

/**
 * @typedef {{ get(name: string): string | null }} ResponseHeaders
 * @typedef {{ status: number, headers: ResponseHeaders, data: any }} ApiResponse
 * @typedef {{ method?: string, query?: Record<string, string | number | null | undefined>,
 *   body?: XMLHttpRequestBodyInit, json?: unknown, headers?: Record<string, string>, as?: 'json' | 'blob' | 'none',
 *   onUploadProgress?: (loaded: number, total: number) => void, onUploaded?: () => void,
 *   signal?: AbortSignal, checksToken?: boolean }} ApiOptions
 */

/**
 * The single entry point to the API.
 * - `as`: 'json' (default), 'blob' (record bytes) or 'none'.
 * - `json`: a value sent as an application/json body.
 * - `onUploadProgress(loaded, total)` switches the transport to XMLHttpRequest, the only browser
 *   API that reports upload progress; the headers are the same either way.
 * - `checksToken`: a 401 answers this request's own question (is the token good?), so it does
 *   not end the session.
 * Resolves to { status, headers, data }; rejects with ApiError (status 0 means no response).
 * @param {string} path below /api/v1
 * @param {ApiOptions} [options]
 * @returns {Promise<ApiResponse>}
 */
export async function api(path, options = {}) {
  try {
    return await request(path, options);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && !options.checksToken) unauthenticated();
    throw error;
  }
}

/** @param {string} path @param {ApiOptions} options @returns {Promise<ApiResponse>} */
async function request(
  path,
  { method = 'GET', query, body, json, headers, as = 'json', onUploadProgress, onUploaded, signal },
) {
  const url = apiUrl(path, query);
  /** @type {Record<string, string>} */
  const all = { Accept: ACCEPT, ...headers };
  if (json !== undefined) {
    body = JSON.stringify(json);
    all['Content-Type'] = 'application/json';
  }
  const bearer = token.get();
  if (bearer) all.Authorization = `Bearer ${bearer}`;
  if (onUploadProgress) return xhrRequest(url, { method, body, headers: all, onUploadProgress, onUploaded, signal });

  let response;
  try {
    response = await fetch(url, { method, body, headers: all, signal, credentials: 'same-origin', cache: 'no-store' });
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
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

/**
 * @param {string} url
 * @param {{ method: string, body?: XMLHttpRequestBodyInit, headers: Record<string, string>, signal?: AbortSignal,
 *   onUploadProgress: (loaded: number, total: number) => void, onUploaded?: () => void }} options
 * @returns {Promise<ApiResponse>}
 */
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
    xhr.send(body ?? null);
  });
}

/**
 * @param {number} status
 * @param {string | null} contentType
 * @param {string} text
 * @param {string | null} retryAfterHeader
 */
function toApiError(status, contentType, text, retryAfterHeader) {
  /** @type {any} */
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

/** The input a VALIDATION_FAILED problem names, whichever extension member the server used. @param {any} problem */
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

/** @param {unknown} value seconds, or an HTTP date */
function parseRetryAfter(value) {
  if (value === undefined || value === null || value === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(String(value));
  if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return null;
}

/** @param {unknown} error @returns {ApiError} */
export function asApiError(error) {
  return error instanceof ApiError ? error : new ApiError({ status: 0, code: 'NETWORK_ERROR' });
}

/** @param {unknown} error */
export function isAbort(error) {
  return error instanceof Error && error.name === 'AbortError';
}

/** @param {string} path @param {ApiOptions['query']} query */
function apiUrl(path, query) {
  const url = new URL(API_BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
}

/** A URL the API handed out (e.g. statusUrl) as a path for api(); null unless it is ours. @param {unknown} url */
export function apiPathOf(url) {
  if (typeof url !== 'string') return null;
  const parsed = new URL(url, window.location.origin);
  if (parsed.origin !== window.location.origin || !parsed.pathname.startsWith(`${API_BASE}/`)) return null;
  return parsed.pathname.slice(API_BASE.length);
}

/** @param {string} patientId @param {string} [rest] */
export function recordsPath(patientId, rest = '') {
  return `/patients/${encodeURIComponent(patientId)}/records${rest}`;
}

/** @param {string} patientId @param {string} rest */
export function accessPath(patientId, rest) {
  return `/patients/${encodeURIComponent(patientId)}/${rest}`;
}

/** A patient's own sealed records (issue 13): read and decrypted in the page. @param {string} patientId @param {string} [rest] */
export function sealedRecordsPath(patientId, rest = '') {
  return `/patients/${encodeURIComponent(patientId)}/sealed-records${rest}`;
}
