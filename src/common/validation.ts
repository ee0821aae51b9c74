import { ValidationPipe, type Type, type ValidationError } from '@nestjs/common';
import { validationProblem } from './errors/api-problem.exception.js';
import type { FieldError } from './errors/problem.js';

function flatten(errors: ValidationError[], parentPath = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parentPath ? `${parentPath}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * The one ValidationPipe (registered as APP_PIPE): strips nothing silently (unknown properties
 * are a 400 naming them) and reports every invalid field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
