import { type ArgumentMetadata, ValidationPipe, type Type, type ValidationError } from '@nestjs/common';
import { validationProblem } from './errors/api-problem.exception.js';
import type { FieldError } from './errors/problem.js';
import { BODY_FIELD } from './unsafe-input.js';

function flatten(errors: ValidationError[], parentPath = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parentPath ? `${parentPath}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

const NOT_DTOS: unknown[] = [Object, Array, String, Number, Boolean];

/**
 * A DTO body must be a JSON object. ValidationPipe would turn a missing or `null` body into `{}`,
 * which a partial update (every field optional) accepts as a change of nothing.
 * Strings that cannot be stored as sent and over-deep nesting never get here: the JSON body
 * parser (json-body.ts) refuses them first.
 */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && !NOT_DTOS.includes(metadata.metatype);
    if (metadata.type === 'body' && isDto && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      const message = value === undefined ? `${BODY_FIELD} is required: send a JSON object` : `${BODY_FIELD} must be a JSON object`;
      throw validationProblem([{ field: BODY_FIELD, message }]);
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
