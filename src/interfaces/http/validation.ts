import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedError } from '../../domain/errors';

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
