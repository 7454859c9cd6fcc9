/** A patient's permission for one provider to read all of the patient's records. */
export interface Consent {
  readonly providerId: string;
  readonly grantedAt: Date;
  /** Null: until revoked. */
  readonly expiresAt: Date | null;
}

/** As a ledger holds it: both parties are pseudonyms. */
export interface LedgerConsent {
  readonly patientKey: Uint8Array;
  readonly providerKey: Uint8Array;
  readonly grantedAt: Date;
  readonly expiresAt: Date | null;
}

export function consentInForce(consent: { expiresAt: Date | null }, now: Date): boolean {
  return consent.expiresAt === null || consent.expiresAt.getTime() > now.getTime();
}
