import { ValidationError, ValidationPipe } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { UnsupportedMediaTypeError, ValidationFailedError } from '../../domain/errors';

/**
 * The one request validation pipe (registered as APP_PIPE): unknown fields are refused,
 * and the first failure becomes a ValidationFailedError naming its field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const first = firstLeaf(errors);
      const message = first ? Object.values(first.constraints ?? {})[0] : undefined;
      return new ValidationFailedError(message ? `${message}.` : 'The request is not valid.', first?.property);
    },
  });
}

function firstLeaf(errors: ValidationError[]): ValidationError | undefined {
  for (const error of errors) {
    if (error.constraints && Object.keys(error.constraints).length > 0) return error;
    const nested = firstLeaf(error.children ?? []);
    if (nested) return nested;
  }
  return undefined;
}

/** Request bodies are flat DTOs; deeper JSON is refused before class-transformer recurses into it. */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a parsed JSON value (a scalar is 0), walked without recursion; stops past `limit`. */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const inner = depth + 1;
    deepest = Math.max(deepest, inner);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) pending.push([child, inner]);
  }
  return deepest;
}

/** Middleware after the JSON parser: 400 for a body nested deeper than MAX_JSON_DEPTH. */
export function refuseDeepJson(request: Request, _response: Response, next: NextFunction): void {
  if (jsonDepth(request.body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    next(new ValidationFailedError(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`));
    return;
  }
  next();
}

const BODY_TYPES = ['application/json', 'application/*+json', 'multipart/form-data'];

/**
 * Middleware for /api: a body must be JSON (or multipart for uploads). Without it, curl's
 * default form encoding turned a JSON body into one field named after the whole body.
 */
export function requireJsonOrMultipart(request: Request, _response: Response, next: NextFunction): void {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (hasBody && !request.is(BODY_TYPES)) {
    next(
      new UnsupportedMediaTypeError(
        'Send the body as JSON with "Content-Type: application/json" (file uploads: multipart/form-data).',
        'Content-Type',
      ),
    );
    return;
  }
  next();
}
