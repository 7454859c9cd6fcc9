import { AccessTokens } from '../../domain/access-tokens';
import { ClaimCodes } from '../../domain/claim-codes';
import { ClaimCodeInvalidError, ValidationFailedError } from '../../domain/errors';
import { Clock } from '../../domain/ports/clock.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Role } from '../../domain/principal';
import { ClaimAttempts } from './claim-attempts';

/** Longer than any way of writing a 20-character code with separators. */
const MAX_CLAIM_CODE_CHARS = 64;

export interface ClaimInput {
  readonly claimCode: unknown;
  /** The caller's address, which failed claims are counted against. */
  readonly client: string;
}

export interface Claimed {
  readonly id: string;
  readonly role: Role;
  /** The claimant's bearer token, shown this once. */
  readonly token: string;
}

/**
 * Exchanges a claim code for the principal's token: the code is spent, any earlier token dies. A
 * wrong, used or expired code is one answer (CLAIM_CODE_INVALID), and counts against the caller's
 * address (ClaimAttempts).
 */
export class ClaimUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly claimCodes: ClaimCodes,
    private readonly tokens: AccessTokens,
    private readonly attempts: ClaimAttempts,
    private readonly clock: Clock,
  ) {}

  async execute(input: ClaimInput): Promise<Claimed> {
    if (typeof input.claimCode !== 'string' || input.claimCode.length > MAX_CLAIM_CODE_CHARS) {
      throw new ValidationFailedError(
        `claimCode must be a string of at most ${MAX_CLAIM_CODE_CHARS} characters.`,
        'claimCode',
      );
    }
    this.attempts.assertAllowed(input.client);
    const hash = this.claimCodes.hash(input.claimCode);
    const issued = this.tokens.issue();
    const principal = hash && (await this.principals.redeemClaimCode(hash, issued.hash, this.clock.now()));
    if (!principal) {
      this.attempts.recordFailure(input.client);
      throw new ClaimCodeInvalidError();
    }
    return { id: principal.id, role: principal.role, token: issued.token };
  }
}
