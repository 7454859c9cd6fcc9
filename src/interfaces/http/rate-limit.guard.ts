import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { bearerToken } from './auth.guard';

/**
 * Rate limits per bearer token (by its hash, never the token itself), or per client
 * address for requests without one.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const token = bearerToken(request as unknown as Request);
    if (token) return `token:${createHash('sha256').update(token).digest('hex')}`;
    return `ip:${(request as unknown as Request).ip ?? 'unknown'}`;
  }
}
