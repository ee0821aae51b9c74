import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Environment, validateEnvironment } from './environment.js';

/**
 * Loads `.env` (when present) over the process environment, validates it once, and offers the
 * result as the typed `Environment` provider.
 */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ cache: true, validate: validateEnvironment })],
  providers: [
    {
      provide: Environment,
      // ConfigModule has merged `.env` into process.env by the time this runs.
      useFactory: () => validateEnvironment(process.env),
      inject: [ConfigService],
    },
  ],
  exports: [Environment],
})
export class AppConfigModule {}
