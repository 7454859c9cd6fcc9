// @ts-check
/** Who is signed in. The session module changes it; cards and error sentences read it. */

/**
 * @typedef {'admin' | 'provider' | 'patient' | 'open'} Role  "open": a server without access control
 * @typedef {{ encryptionPublicKey: string, signingPublicKey: string, registeredAt: string }} RegisteredKeys
 * @typedef {{ id?: string, role?: Role, createdBy?: string, createdAt?: string, claimedAt?: string | null,
 *   patientKey?: string, keys?: RegisteredKeys | null }} Me
 *   GET /api/v1/me: createdBy is the enrolling provider's id, or "admin"; claimedAt null until claimed;
 *   a patient's keys (0x hex public keys) are null until they set them up (issue 13)
 */

export const identity = {
  /** @type {Me | null} */
  me: null,
  /** @type {Role | null} null while signed out */
  role: null,
  /** A session ended in this tab: the next sign-in reloads the page so nothing of it stays. */
  ended: false,
};
