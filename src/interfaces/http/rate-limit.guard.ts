import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { AuthenticateUseCase } from '../../application/enrolment/authenticate.use-case';
import { bearerToken } from './auth.guard';

/**
 * Rate limits per principal's token (by its hash, never the token itself), or per client
 * address for requests without a valid one, with one allowance across all routes. A token that
 * does not authenticate counts against the address: otherwise each guess would bring a fresh
 * allowance, and guessing would be unlimited.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  // Property injection: ThrottlerGuard's constructor parameters stay as Nest wires them.
  @Inject(AuthenticateUseCase) private readonly authenticate!: AuthenticateUseCase;

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const token = bearerToken(request as unknown as Request);
    if (token && (await this.authenticates(token))) {
      return `token:${createHash('sha256').update(token).digest('hex')}`;
    }
    return `ip:${(request as unknown as Request).ip ?? 'unknown'}`;
  }

  /**
   * The throttler's own key adds the controller and handler names, which gives a caller one
   * allowance per route (14 routes: 14 times the limit); the key here is the caller alone.
   */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  private async authenticates(token: string): Promise<boolean> {
    try {
      await this.authenticate.execute(token);
      return true;
    } catch {
      return false;
    }
  }
}
