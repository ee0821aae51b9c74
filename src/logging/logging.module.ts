import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * Nest's Logger (boot, modules, jobs) through nestjs-pino, on the root logger Fastify already
 * logs requests with (see request-log.ts). Its per-request middleware is mounted on no route:
 * it would run every request through @fastify/middie just to bind a logger that Fastify already
 * gives each request as `request.log`, which is what request-time code logs with.
 */
@Module({})
export class LoggingModule {
  static forRoot(rootLogger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ useExisting: true, pinoHttp: { logger: rootLogger }, forRoutes: [] })],
    };
  }
}
