import { PatientPublicKeys, Principal, Role } from '../principal';

/** A claim code waiting to be exchanged for a token: only its hash is kept. */
export interface PendingClaim {
  /** SHA-256 of the normalized claim code. */
  readonly hash: Uint8Array;
  readonly expiresAt: Date;
}

/**
 * Who may call the API. Tokens and claim codes are never stored: only their SHA-256, which is
 * what callers look principals up by.
 */
export abstract class PrincipalRepository {
  /**
   * Adds a principal holding a token (its hash) and/or a pending claim code; false (and nothing
   * changed) when role+id already exists.
   */
  abstract add(principal: Principal, tokenHash: Uint8Array | null, claim?: PendingClaim): Promise<boolean>;

  abstract findByTokenHash(tokenHash: Uint8Array): Promise<Principal | null>;

  abstract find(role: Role, id: string): Promise<Principal | null>;

  abstract list(role: Role): Promise<Principal[]>;

  /** Gives the principal a new claim code, voiding any older unused one; false when there is no such principal. */
  abstract setClaimCode(role: Role, id: string, claim: PendingClaim): Promise<boolean>;

  /**
   * Spends the claim code with this hash, if one is pending and unexpired at `now`: the principal's
   * token becomes `tokenHash` (any earlier token dies) and `claimedAt` becomes `now`. Null (nothing
   * changed) otherwise.
   */
  abstract redeemClaimCode(claimHash: Uint8Array, tokenHash: Uint8Array, now: Date): Promise<Principal | null>;

  /** Replaces the principal's token: a new hash (rotation), or null so that no token works. */
  abstract setTokenHash(role: Role, id: string, tokenHash: Uint8Array | null): Promise<void>;

  /**
   * Registers a patient's public keys and the opaque backup of their private keys (wrapped in the
   * patient's browser under their recovery code). False (nothing changed) when there is no such
   * patient or it has keys already: keys are registered once.
   */
  abstract registerKeys(id: string, keys: PatientPublicKeys, backup: Uint8Array): Promise<boolean>;

  /**
   * The patient's signing key becomes `signingPublicKey` (after every ledger accepted the signed
   * replacement), the one it replaces joins `formerSigningKeys`, and `backup` (re-wrapped in the
   * browser under the same recovery code) replaces the stored one. False (nothing changed) when
   * there is no such patient or it has no keys.
   */
  abstract replaceSigningKey(id: string, signingPublicKey: Uint8Array, backup: Uint8Array): Promise<boolean>;

  /** The patient's key backup as registered, or null when none was. */
  abstract keyBackup(id: string): Promise<Uint8Array | null>;
}
