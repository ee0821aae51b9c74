import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options as HttpLoggerOptions } from 'pino-http';
import { Environment } from '../config/environment.js';

/** A client's X-Request-Id is kept only when it looks like an id, never arbitrary text. */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type RoutedRequest = IncomingMessage & { id?: string; routePattern?: string };

/** The request id: the caller's X-Request-Id when it looks like an id, else a fresh UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && WELL_FORMED_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Structured JSON logs through nestjs-pino: one line per request (method, route, status,
 * duration, request id). Serializers list what may be logged, so headers (Authorization),
 * bodies (passwords) and tokens never reach a log line.
 */
@Module({})
export class LoggingModule {
  static forRoot(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [Environment],
          useFactory: (environment: Environment) => {
            const options: HttpLoggerOptions = {
                level: environment.LOG_LEVEL,
                // Fastify assigns the id first (see requestIdFor); this is the fallback.
                genReqId: (request: IncomingMessage) => requestIdFor(request),
                wrapSerializers: false,
                serializers: {
                  req: (request: RoutedRequest) => ({ id: request.id, method: request.method, route: request.routePattern }),
                  res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
                  err: (error: Error) => ({ type: error.name, message: error.message }),
                },
                // 503 is load shedding (database down, pool exhausted), not a bug: warn, don't page.
                customLogLevel: (_request: IncomingMessage, response: ServerResponse, error?: Error) =>
                  response.statusCode === 503 ? 'warn' : error || response.statusCode >= 500 ? 'error' : 'info',
                customSuccessMessage: () => 'request completed',
                quietReqLogger: true,
            };
            return { pinoHttp: destination ? [options, destination] : options };
          },
        }),
      ],
    };
  }
}
