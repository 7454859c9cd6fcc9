import { AccessTokens } from '../../domain/access-tokens';
import { ForbiddenError } from '../../domain/errors';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Principal } from '../../domain/principal';

/**
 * A principal's own token: rotate it (a new one, the old one dead at once) or sign out everywhere
 * (no token works until a new claim code is claimed). The operator's token is configuration
 * (ADMIN_TOKEN), not this.
 */
export class TokenLifecycleUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly tokens: AccessTokens,
  ) {}

  async rotate(actor: Principal): Promise<{ token: string }> {
    this.refuseOperator(actor);
    const issued = this.tokens.issue();
    await this.principals.setTokenHash(actor.role, actor.id, issued.hash);
    return { token: issued.token };
  }

  async signOutEverywhere(actor: Principal): Promise<void> {
    this.refuseOperator(actor);
    await this.principals.setTokenHash(actor.role, actor.id, null);
  }

  private refuseOperator(actor: Principal): void {
    if (actor.role === 'admin') {
      throw new ForbiddenError(
        "The operator's token is set by ADMIN_TOKEN (or the generated one); it cannot be changed here.",
      );
    }
  }
}
