// @ts-check
/**
 * Error sentences: every ApiError becomes one human sentence aimed at one field (or the form).
 * Fields: patient, provider, name, expires, chain, file, reason, code — each form maps the ones it has.
 */

import { MAX_REASON_CHARS, MIN_REASON_CHARS } from './emergency-reason.js';
import { ACCEPTED_FORMATS, formatBytes, ledgerLabel } from './format.js';
import { identity } from './identity.js';
import { ID_PATTERN, MAX_PROVIDER_NAME_CHARS, PATIENT_ID_RULE, PROVIDER_ID_RULE } from './validation.js';

/**
 * @typedef {import('./api.js').ApiError} ApiError
 * @typedef {'upload' | 'retrieve' | 'open' | 'enrol' | 'create-provider' | 'grant' | 'revoke' | 'consents'
 *   | 'log' | 'replicas' | 'sign-in' | 'claim' | 'token' | 'reissue' | 'keys'} Action
 * @typedef {{ action: Action, chain?: string, file?: File, patientId?: string, providerId?: string }} ErrorContext
 * @typedef {{ field: string | null, text: string, notice?: boolean }} ErrorText
 */

/**
 * @param {ApiError} error
 * @param {ErrorContext} context
 * @returns {ErrorText}
 */
export function describeError(error, context) {
  const ledger = ledgerLabel(context.chain);
  const wait = error.retryAfterSeconds ? `${error.retryAfterSeconds} s` : 'a few seconds';
  const patient = context.patientId || 'This patient';
  switch (error.code) {
    case 'VALIDATION_FAILED':
      if (context.action === 'claim')
        return { field: 'code', text: 'A claim code has 20 letters and digits. Check it and try again.' };
      return describeValidation(error, context);
    case 'CLAIM_CODE_INVALID':
      return {
        field: 'code',
        text: 'This claim code is not valid: it may be mistyped, already used or expired. Check it, or ask whoever gave it to you for a new one.',
      };
    case 'CLAIM_LIMITED':
      return {
        field: 'code',
        text: `Too many claim codes that did not work were tried from here. Try again in ${
          error.retryAfterSeconds ? formatWait(error.retryAfterSeconds) : 'a while'
        }.`,
      };
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
          identity.role === 'provider'
            ? `No patient with the ID ${context.patientId} is enrolled. Check the ID, or enrol them first under “Enrol a patient”.`
            : 'No patient with this ID is registered. Check the ID and try again.',
      };
    case 'ALREADY_EXISTS':
      return context.action === 'create-provider'
        ? {
            field: 'provider',
            text: `A provider with the ID ${context.providerId} already exists. Choose another ID, or give it a new claim code if it lost its own.`,
          }
        : {
            field: 'patient',
            text: `${patient} is already enrolled. Their claim code was shown once and cannot be shown again; if they lost it or signed out everywhere, give them a new one.`,
          };
    case 'CONSENT_REQUIRED':
      return {
        field: context.action === 'retrieve' ? 'patient' : null,
        text: `${patient} has not given your organisation consent to read this record.${
          identity.me?.id ? ` Ask them to give consent to ${identity.me.id}.` : ''
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
    case 'KEYS_ALREADY_REGISTERED':
      return { field: null, text: 'Your keys are already set up. Restore them here with your recovery code.' };
    case 'KEYS_NOT_REGISTERED':
      return {
        field: null,
        text: 'Your keys are not set up yet. Set them up above, then try again.',
      };
    case 'KEY_PROOF_INVALID':
      return {
        field: null,
        text: 'The service could not check the keys this browser made. Reload the page and set them up again.',
      };
    case 'RECORD_EXISTS':
      return { field: null, text: 'This upload clashes with an earlier one. Choose the file again and retry.' };
    case 'RECIPIENTS_MISMATCH':
      return {
        field: null,
        text: 'Who may read your records changed while the file was being locked. Upload it again.',
      };
    case 'ENVELOPE_MALFORMED':
    case 'SIGNATURE_INVALID':
      return {
        field: null,
        text: 'The service did not accept the file as this browser locked it, so nothing was stored. Reload the page and try again.',
      };
    case 'CONSENT_SIGNATURE_INVALID':
      // Most often a nonce spent meanwhile (another tab or device signed a change first).
      return {
        field: null,
        text: 'The ledgers did not accept your signature, so nothing changed. Reload the page and try again.',
      };
    case 'SIGNATURE_REQUIRED':
      return {
        field: null,
        text: 'Consent changes must be signed with your own keys. Reload the page and try again.',
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

/** @param {ErrorContext} context */
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
    case 'reissue':
      return `Only a provider that may upload for ${context.patientId ?? 'this patient'} can give them a new claim code.`;
    default:
      if (identity.role === 'patient') return 'You can read and add to your own record only.';
      if (identity.role === 'admin') return 'The operator account cannot see or add medical records.';
      return 'Your account is not allowed to do this.';
  }
}

/** @param {ErrorContext} context @param {string} ledger @param {string} wait @returns {ErrorText} */
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

/** @param {ApiError} error @param {ErrorContext} context @returns {ErrorText} */
function describeValidation(error, context) {
  const field = String(error.field ?? '').toLowerCase();
  const named = `${field} ${error.detail}`.toLowerCase();
  if (field === 'x-break-glass-reason' || /break-glass|reason/.test(named)) {
    return { field: 'reason', text: `Give a reason of ${MIN_REASON_CHARS} to ${MAX_REASON_CHARS} characters.` };
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

/** "40 s", "12 min": how long to wait, rounded up. @param {number} seconds */
function formatWait(seconds) {
  return seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

/** @param {string} detail */
function bytesFromDetail(detail) {
  const match = /(\d+)\s*bytes/i.exec(detail ?? '');
  return match ? Number(match[1]) : null;
}
