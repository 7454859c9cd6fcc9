// @ts-check
/** Who is signed in. The session module changes it; cards and error sentences read it. */

/**
 * @typedef {'admin' | 'provider' | 'patient' | 'open'} Role  "open": a server without access control
 * @typedef {{ id?: string, role?: Role, createdBy?: string, createdAt?: string, claimedAt?: string | null }} Me
 *   GET /api/v1/me: createdBy is the enrolling provider's id, or "admin"; claimedAt null until claimed
 */

export const identity = {
  /** @type {Me | null} */
  me: null,
  /** @type {Role | null} null while signed out */
  role: null,
  /** A session ended in this tab: the next sign-in reloads the page so nothing of it stays. */
  ended: false,
};
