import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';

/** A client's X-Request-Id is kept only when it looks like an id, never arbitrary text. */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: the caller's X-Request-Id when it looks like an id, else a fresh UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && WELL_FORMED_REQUEST_ID.test(given) ? given : randomUUID();
}

interface RequestFields {
  id: string;
  method: string;
  route?: string;
}

/**
 * The one pino logger: Fastify logs requests through it and Nest's Logger writes to it. Only
 * fields the log lines below choose are written, so headers (Authorization), bodies (passwords)
 * and tokens never reach a log line.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    // They replace Fastify's defaults, which would log the URL (raw ids) and the client address.
    serializers: {
      req: (request: RequestFields) => ({ id: request.id, method: request.method, route: request.route }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      err: (error: Error) => ({ type: error.name, message: error.message }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * One JSON line per request, written by Fastify when the response is sent: method, route pattern
 * (`/api/v1/tasks/:id`, not raw ids), status, duration and request id. A Fastify hook, not an
 * Express-style middleware, so no request goes through @fastify/middie to be logged.
 */
export class RequestLogLines extends LogController {
  override incomingRequest(): void {
    // The completed line carries everything; one line per request.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    // 503 is load shedding (database down, pool exhausted), not a bug: warn, don't page.
    const level = status === 503 ? 'warn' : error || status >= 500 ? 'error' : 'info';
    reply.log[level](
      {
        req: { id: request.id, method: request.method, route: request.routeOptions.url } satisfies RequestFields,
        res: { statusCode: status },
        responseTime: reply.elapsedTime,
        ...(error && { err: error }),
      },
      'request completed',
    );
  }
}
