import { Principal, Role } from '../principal';

/**
 * Who may call the API. Tokens are never stored: only their SHA-256, which is
 * what callers look principals up by.
 */
export abstract class PrincipalRepository {
  /** Adds a principal; false (and nothing changed) when role+id already exists. */
  abstract add(principal: Principal, tokenHash: Uint8Array): Promise<boolean>;

  abstract findByTokenHash(tokenHash: Uint8Array): Promise<Principal | null>;

  abstract find(role: Role, id: string): Promise<Principal | null>;

  abstract list(role: Role): Promise<Principal[]>;
}
