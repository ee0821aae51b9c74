import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * Nest's Logger through nestjs-pino, on the root logger Fastify already logs requests with
 * (see request-log.ts), so a line logged while handling a request carries its request id.
 */
@Module({})
export class LoggingModule {
  static forRoot(rootLogger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ useExisting: true, pinoHttp: { logger: rootLogger } })],
    };
  }
}
