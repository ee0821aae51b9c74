import { Param, ParseUUIDPipe } from '@nestjs/common';
import { validationProblem } from './errors/api-problem.exception.js';

/** A path id that must be a UUID: a malformed one is a 400 naming the parameter, never a 404. */
export const UuidParam = (name = 'id') =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => validationProblem([{ field: name, message: `${name} must be a UUID` }]),
    }),
  );
