import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { UnauthenticatedError } from '../../domain/errors';
import { Principal } from '../../domain/principal';
import type { AuthenticatedRequest } from './auth.guard';

/** The authenticated principal making the request (set by AuthGuard). */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new UnauthenticatedError('A valid bearer token is required.');
  return principal;
});
