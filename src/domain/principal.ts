import { ValidationFailedError } from './errors';

export const ROLES = ['admin', 'provider', 'patient'] as const;
export type Role = (typeof ROLES)[number];

/** Provider and patient ids share one shape (API.md): 1-64 chars, letters, digits, . _ - */
const ACTOR_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_PROVIDER_NAME_CHARS = 200;

/** Someone who holds a token: the operator (admin), a provider, or a patient. */
export interface Principal {
  readonly role: Role;
  readonly id: string;
  readonly name?: string;
  readonly createdAt: Date;
  /** Who created it: the enrolling provider's id, or "admin" for a provider the operator created. */
  readonly createdBy?: string;
  /** When its claim code was last exchanged for a token; absent until then. */
  readonly claimedAt?: Date;
  /** A patient's public keys, registered from their browser after the claim; absent until then. */
  readonly keys?: PatientPublicKeys;
}

/**
 * The public halves of the two key pairs a patient's browser generates: the private halves never
 * leave it (a backup wrapped under the patient's recovery code is all the service keeps).
 */
export interface PatientPublicKeys {
  /** P-256 ECDH, SEC 1 uncompressed (65 bytes): records are sealed to it. */
  readonly encryptionPublicKey: Uint8Array;
  /** P-256 ECDSA, SEC 1 uncompressed (65 bytes): the patient's own records are signed by it. */
  readonly signingPublicKey: Uint8Array;
  readonly registeredAt: Date;
  /**
   * Signing keys the patient replaced (issue 14), oldest first: their earlier uploads name one of
   * them (signerKeyId = SHA-256 of the key) and must still verify. Absent: none replaced.
   */
  readonly formerSigningKeys?: readonly Uint8Array[];
}

/** Every signing key a patient-signed record of theirs may name: the current one, then the former ones. */
export function patientSigningKeys(keys: PatientPublicKeys | undefined): Uint8Array[] {
  if (!keys) return [];
  return [keys.signingPublicKey, ...(keys.formerSigningKeys ?? [])];
}

/** Stable key for a principal across stores: roles are separate namespaces. */
export function principalRef(role: Role, id: string): string {
  return `${role}:${id}`;
}

export function parseProviderId(raw: unknown): string {
  if (typeof raw !== 'string' || !ACTOR_ID_PATTERN.test(raw)) {
    throw new ValidationFailedError(
      'providerId must be 1-64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit.',
      'providerId',
    );
  }
  return raw;
}
