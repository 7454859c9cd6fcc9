import { bytesEqual } from '../../domain/bytes';
import { UnauthenticatedError } from '../../domain/errors';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Principal } from '../../domain/principal';
import { AccessTokens, AdminCredential } from '../../domain/access-tokens';

export const ADMIN_ID = 'admin';
const MAX_TOKEN_CHARS = 200;

/** Turns a presented bearer token into the principal holding it. */
export class AuthenticateUseCase {
  private readonly admin: Principal = { role: 'admin', id: ADMIN_ID, createdAt: new Date(0) };

  constructor(
    private readonly principals: PrincipalRepository,
    private readonly tokens: AccessTokens,
    private readonly adminCredential: AdminCredential,
  ) {}

  async execute(token: string | undefined): Promise<Principal> {
    if (!token || token.length > MAX_TOKEN_CHARS) throw new UnauthenticatedError('A valid bearer token is required.');
    const hash = this.tokens.hash(token);
    // Compared in constant time; the lookup below is keyed by a hash, which reveals nothing of the token.
    if (bytesEqual(hash, this.adminCredential.tokenHash)) return this.admin;
    const principal = await this.principals.findByTokenHash(hash);
    if (!principal) throw new UnauthenticatedError('A valid bearer token is required.');
    return principal;
  }
}
