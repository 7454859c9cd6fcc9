import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { BREAK_GLASS_FIELD } from '../../domain/break-glass-reason';
import { ValidationFailedError } from '../../domain/errors';

/*
 * Optional request headers as parameter decorators of their own rather than @Headers(name):
 * Swagger documents every @Headers() parameter as a *required* header, beside the optional
 * one @ApiHeader declares, and generated clients would demand it.
 */

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function header(context: ExecutionContext, name: string): string | undefined {
  const value = context.switchToHttp().getRequest<Request>().headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * `X-Break-Glass-Reason`, decoded as UTF-8. Node hands header values over as latin1 (one
 * character per byte), so "Ü" sent as UTF-8 arrives as "Ã\u009c"; the bytes are recovered and
 * decoded strictly, and bytes that are not UTF-8 are refused rather than stored garbled.
 * The reason's own rules (length, controls) are the domain's: parseBreakGlassReason.
 */
export const BreakGlassReason = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const raw = header(context, 'x-break-glass-reason');
  if (raw === undefined) return undefined;
  try {
    return UTF8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    throw new ValidationFailedError(`${BREAK_GLASS_FIELD} must be UTF-8 text.`, BREAK_GLASS_FIELD);
  }
});

/** `Idempotency-Key`: retrying an upload with the same key returns the same record. */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  header(context, 'idempotency-key'),
);
