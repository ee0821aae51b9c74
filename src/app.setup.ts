import { RequestMethod, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { setUpOpenApi } from './openapi.js';

export const API_PREFIX = 'api';
export const MAX_BODY_BYTES = 100 * 1024;

export interface CreateAppOptions {
  trustProxy?: boolean;
  logger?: false;
}

/**
 * Builds the whole application: main.ts and every e2e test call this, so the prefix, versioning,
 * error model and OpenAPI document under test are the ones in production.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
  });
  // The API speaks JSON only: any other body type answers 415 instead of reaching validation.
  adapter.getInstance().removeContentTypeParser('text/plain');

  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    logger: options.logger,
    bufferLogs: false,
  });
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  setUpOpenApi(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
