import { RequestMethod, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { pino, type DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { mapErrorToProblem } from './common/errors/problem-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './common/errors/problem.js';
import { useJsonBodyParser } from './common/json-body.js';
import { Environment, validateEnvironment } from './config/environment.js';
import { ShutdownState } from './health/shutdown-state.js';
import { fastifyTrustProxy, parseTrustProxy } from './config/trust-proxy.js';
import { createRootLogger, RequestLogLines, requestIdFor } from './logging/request-log.js';
import { buildOpenApiDocument, setUpOpenApi } from './openapi.js';

export const API_PREFIX = 'api';
export const MAX_BODY_BYTES = 100 * 1024;
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

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
 * How long a client may take to send its headers, its whole request, and how long an idle
 * keep-alive connection is kept: a slow or silent client cannot hold a socket longer.
 */
function slowClientTimeouts(environment: Environment) {
  return {
    requestTimeout: environment.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: environment.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      requestTimeout: environment.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeout: environment.HTTP_HEADERS_TIMEOUT_MS,
      // Node enforces the two timeouts above only when it sweeps its connections, every 30 s by
      // default: a slowloris client would keep its socket up to 30 s past the headers timeout.
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    },
  };
}

/**
 * From SIGTERM (main.ts) or app.close() on, every answer closes its connection: a client opens
 * its next request on a new connection, which the load balancer sends to another instance, so no
 * kept-alive socket is left to be cut when the drain ends (an idle one would also hold
 * server.close() until the keep-alive timeout, past main.ts's deadline).
 */
function closeConnectionsWhileDraining(fastify: FastifyInstance, shutdown: ShutdownState): void {
  fastify.addHook('preClose', async () => shutdown.beginDraining());
  fastify.addHook('onSend', async (_request, reply) => {
    if (shutdown.draining) {
      void reply.header('Connection', 'close');
    }
  });
}

/**
 * Builds the whole application: main.ts and every e2e test call this, so the prefix, versioning,
 * security headers, error model and OpenAPI document under test are the ones in production.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  // Fastify needs its logger and proxy trust before Nest (and its validated Environment provider) exists.
  const environment = validateEnvironment(process.env);
  const rootLogger = createRootLogger(environment.LOG_LEVEL, options.logDestination);
  const adapter = new FastifyAdapter({
    ...slowClientTimeouts(environment),
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
  fastify.addHook('onRequest', (request, reply, done) => setSecurityHeaders(request.raw, reply.raw, done as HelmetDone));
  // The API speaks JSON only: any other body type answers 415 instead of reaching validation.
  useJsonBodyParser(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ rootLogger }), adapter, {
    bufferLogs: true,
    // Nest's own parsers would add application/x-www-form-urlencoded, a body any web page can
    // post cross-origin without a preflight; useJsonBodyParser is the only one.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  closeConnectionsWhileDraining(fastify, app.get(ShutdownState));
  const corsOrigins = app.get(Environment).CORS_ORIGINS;
  if (corsOrigins) {
    app.enableCors({ origin: corsOrigins.split(',').map((origin) => origin.trim()), exposedHeaders: ['ETag', 'Location', 'X-Request-Id', 'Retry-After'] });
  }
  configureRoutes(app);
  setUpOpenApi(app);
  await app.init();
  await fastify.ready();
  return app;
}

/** /api/v1 on every route but the health probes; the OpenAPI document reads the same settings. */
export function configureRoutes(app: NestFastifyApplication): void {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
}

/**
 * The document /docs-json serves, built with no database and no server: Nest's preview mode reads
 * the modules' metadata without instantiating a provider (`npm run openapi:lint` lints it in CI).
 */
export async function buildOpenApiDocumentOffline(): Promise<ReturnType<typeof buildOpenApiDocument>> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ rootLogger: pino({ enabled: false }) }),
    new FastifyAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    configureRoutes(app);
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
