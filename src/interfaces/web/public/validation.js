// @ts-check
/** The page's own checks on ids and names, run before anything is sent. */

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_PROVIDER_NAME_CHARS = 200;

export const ID_HINT = 'Letters, digits, “.”, “_” or “-”, up to 64 characters.';
export const PATIENT_ID_RULE =
  'Patient ID may contain only letters, digits, “.”, “_” and “-”, must start with a letter or digit, and be at most 64 characters.';
export const PROVIDER_ID_RULE =
  'Provider ID may contain only letters, digits, “.”, “_” and “-”, must start with a letter or digit, and be at most 64 characters.';

/** @param {string} value @returns {string | null} the problem, or null when it is fine */
export function validatePatientId(value) {
  if (!value) return 'Enter the patient ID.';
  if (!ID_PATTERN.test(value)) return PATIENT_ID_RULE;
  return null;
}

/** @param {string} value @returns {string | null} the problem, or null when it is fine */
export function validateProviderId(value) {
  if (!value) return 'Enter the provider ID.';
  if (!ID_PATTERN.test(value)) return PROVIDER_ID_RULE;
  return null;
}
