import { type ArgumentMetadata, ValidationPipe, type Type, type ValidationError } from '@nestjs/common';
import { validationProblem } from './errors/api-problem.exception.js';
import type { FieldError } from './errors/problem.js';
import { findUnsafe } from './unsafe-input.js';

function flatten(errors: ValidationError[], parentPath = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parentPath ? `${parentPath}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Bodies are first checked for what class-transformer would drop or PostgreSQL would refuse
 * without naming the field: Object.prototype key names (`constructor`, `valueOf`...) and NUL.
 */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const unsafe = findUnsafe(value);
      if (unsafe) {
        throw validationProblem([unsafe]);
      }
    }
    return super.transform(value, metadata);
  }
}

/**
 * The one ValidationPipe (registered as APP_PIPE): strips nothing silently (unknown properties
 * are a 400 naming them) and reports every invalid field.
 */
export function createValidationPipe(): ValidationPipe {
  return new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(flatten(errors)),
  });
}

const sharedPipe = createValidationPipe();

/** Runs the global pipe's rules outside the pipe stage (e.g. in a guard, which runs first). */
export async function validateBody<T>(dto: Type<T>, body: unknown): Promise<T> {
  return sharedPipe.transform(body, { type: 'body', metatype: dto }) as Promise<T>;
}
