import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * One optional request header. Unlike `@Headers(name)`, Swagger does not list it as a required
 * parameter: routes document their optional headers with `@ApiHeader`.
 */
export const RequestHeader = createParamDecorator((name: string, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
});
