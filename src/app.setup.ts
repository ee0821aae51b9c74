import { RequestMethod, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { mapErrorToProblem } from './common/errors/problem-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './common/errors/problem.js';
import { Environment, validateEnvironment } from './config/environment.js';
import { fastifyTrustProxy, parseTrustProxy } from './config/trust-proxy.js';
import { createRootLogger, RequestLogLines, requestIdFor } from './logging/request-log.js';
import { setUpOpenApi } from './openapi.js';

export const API_PREFIX = 'api';
export const MAX_BODY_BYTES = 100 * 1024;

export interface CreateAppOptions {
  /** Where log lines go; stdout by default (tests capture them). */
  logDestination?: DestinationStream;
}

/** Swagger UI runs inline scripts and styles; everything else stays 'self' only. */
const CONTENT_SECURITY_POLICY = {
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", "'unsafe-inline'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    // Would send Swagger UI's own assets to https:// on a plain-http deployment or localhost.
    upgradeInsecureRequests: null,
  },
};

// Built once: @fastify/helmet rebuilds helmet, CSP parsing included, on every request
// (docs/PERFORMANCE.md, item 4). Helmet's own middleware sets the same headers.
const setSecurityHeaders = helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY });
type HelmetDone = Parameters<typeof setSecurityHeaders>[2];

/**
 * Builds the whole application: main.ts and every e2e test call this, so the prefix, versioning,
 * security headers, error model and OpenAPI document under test are the ones in production.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  // Fastify needs its logger and proxy trust before Nest (and its validated Environment provider) exists.
  const environment = validateEnvironment(process.env);
  const rootLogger = createRootLogger(environment.LOG_LEVEL, options.logDestination);
  const adapter = new FastifyAdapter({
    loggerInstance: rootLogger,
    logController: new RequestLogLines(),
    bodyLimit: MAX_BODY_BYTES,
    // Decides request.ip, the address every per-address count keys on (common/client-address.ts).
    trustProxy: fastifyTrustProxy(parseTrustProxy(environment.TRUST_PROXY)),
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: requestIdFor,
    // Router errors (bad percent-encoding, over-long path parameters) never reach Nest's filter.
    frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) => {
      const { problem } = mapErrorToProblem(error);
      void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
    },
  });
  const fastify = adapter.getInstance();
  // While the server drains, each answer closes its connection: an idle keep-alive socket would
  // otherwise hold server.close() (so app.close()) until keepAliveTimeout, past main.ts's deadline.
  let draining = false;
  fastify.addHook('preClose', async () => {
    draining = true;
  });
  fastify.addHook('onSend', async (_request, reply) => {
    if (draining) {
      void reply.header('Connection', 'close');
    }
  });
  fastify.addHook('onRequest', (request, reply, done) => setSecurityHeaders(request.raw, reply.raw, done as HelmetDone));
  // The API speaks JSON only: any other body type answers 415 instead of reaching validation.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ rootLogger }), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  const corsOrigins = app.get(Environment).CORS_ORIGINS;
  if (corsOrigins) {
    app.enableCors({ origin: corsOrigins.split(',').map((origin) => origin.trim()), exposedHeaders: ['ETag', 'Location', 'X-Request-Id', 'Retry-After'] });
  }
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  setUpOpenApi(app);
  await app.init();
  await fastify.ready();
  return app;
}
