import { ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapErrorToProblem } from './problem-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/** Registered as APP_FILTER: every error thrown in a route answers as problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { problem, headers, unexpected } = mapErrorToProblem(error);
    if (unexpected) {
      // The request's own logger: the line carries its request id (reqId).
      host.switchToHttp().getRequest<FastifyRequest>().log.error(
        { context: 'UnexpectedError' },
        error instanceof Error ? (error.stack ?? error.message) : String(error),
      );
    }
    void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
  }
}
