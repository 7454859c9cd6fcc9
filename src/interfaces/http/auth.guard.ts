import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthenticateUseCase } from '../../application/enrolment/authenticate.use-case';
import { UnauthenticatedError } from '../../domain/errors';
import { Principal } from '../../domain/principal';

const PUBLIC_ROUTE = 'emr:public-route';
/** Marks a route that needs no token (health). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

const EXPECTED_FORM = 'Authorization: Bearer <token>';

/**
 * Every route needs `Authorization: Bearer <token>` unless marked @Public(). A 401 says which
 * of the three went wrong (no header, another form, a token that does not authenticate) and
 * what to send instead; the filter adds the WWW-Authenticate challenge.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticate: AuthenticateUseCase,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.headers.authorization === undefined) {
      throw new UnauthenticatedError(`This endpoint needs a token: send "${EXPECTED_FORM}".`);
    }
    const token = bearerToken(request);
    if (token === undefined) {
      throw new UnauthenticatedError(`The Authorization header must have the form "${EXPECTED_FORM}".`);
    }
    try {
      request.principal = await this.authenticate.execute(token);
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      throw new UnauthenticatedError(
        `The bearer token is not valid (mistyped, or its principal is gone); send a current one as "${EXPECTED_FORM}".`,
      );
    }
    return true;
  }
}

export function bearerToken(request: Request): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1] : undefined;
}
