import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ProblemSchema, problemResponse } from './common/errors/problem.schema.js';

export const BEARER_SCHEME = 'bearer';

/** Every tag an operation uses, described once (clients and Swagger UI group operations by them). */
const TAGS: Record<string, string> = {
  auth: 'Accounts, login and the bearer sessions it starts',
  users: "The caller's own account",
  categories: "The caller's task categories",
  tasks: "The caller's tasks: filters, keyset pagination, stats and conditional writes",
  trash: 'Tasks moved to the trash: listed, restored, or deleted for good',
  labels: "The labels on the caller's tasks: counts, and renaming or removing one everywhere at once.",
  activity: 'Who changed what and when: every change to tasks and categories, with the fields before and after',
  webhooks: 'Signed deliveries of changes to URLs the caller subscribes, retried until they succeed',
  changes: 'A feed of every change to tasks and categories in commit order, to keep a copy in sync (cursor-based, with deletes)',
  health: 'Liveness and readiness probes for load balancers and orchestrators',
};

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('TaskTracker API')
    .setDescription(
      'Multi-user task tracker. Register, log in, then press "Authorize" and paste the accessToken. ' +
        'Every error is RFC 9457 application/problem+json.',
    )
    .setVersion('1.0')
    .setLicense('UNLICENSED: proprietary', 'https://spdx.org/licenses/')
    // Relative: the document is served by the API it describes, wherever that is deployed.
    .addServer('/', 'The host serving this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'accessToken from POST /api/v1/auth/login' }, BEARER_SCHEME);
  for (const [name, description] of Object.entries(TAGS)) {
    builder.addTag(name, description);
  }
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ProblemSchema],
    // `tasksList`, `authLogin`: stable names for generated clients, free of the URI version.
    operationIdFactory: (controllerKey, methodKey) =>
      `${lowerFirst(controllerKey.replace(/Controller$/, ''))}${methodKey.charAt(0).toUpperCase()}${methodKey.slice(1)}`,
  });
  return withSharedResponses(document);
}

const lowerFirst = (text: string) => `${text.charAt(0).toLowerCase()}${text.slice(1)}`;

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;

/** Methods Fastify reads a body for (GET and HEAD bodies are ignored): 413 and 415 can come from any of them. */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Answers that come from the shared machinery rather than a handler, documented here once for
 * every operation they apply to, so a new route cannot forget them:
 * - 401 from the global bearer guard on every operation with a security requirement; operations
 *   without one say so explicitly (`security: []`);
 * - 400 from the global validation pipe wherever a parameter or body is read;
 * - 413 and 415 from Fastify's body parsing on every method that carries a body;
 * - 414 from the router for over-long path parameters;
 * - 429 from the global rate limit (all but the health probes);
 * - 503 with Retry-After when the database is down or its pool exhausted (everything under /api);
 * - the Idempotency-Key header with its 409 and 422 on every authenticated POST, PATCH and DELETE
 *   (the global IdempotencyInterceptor).
 */
const IDEMPOTENT_METHODS = new Set(['post', 'patch', 'delete']);

const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description:
    'Makes a retry safe: a repeat of the same request with the same key (for IDEMPOTENCY_TTL, 24 h by default) gets the first answer again, ' +
    'byte for byte, with `Idempotent-Replayed: true`, and has no second effect. 1 to 255 printable ASCII characters, bare or quoted. ' +
    'The same key for a different request answers 422 `idempotency-key-mismatch`; while the first is still running, 409 `idempotency-key-in-flight` with Retry-After. ' +
    'A request that fails stores nothing.',
  schema: { type: 'string' as const, minLength: 1, maxLength: 255 },
};

function withSharedResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const isProbe = path.startsWith('/health/');
    for (const [method, operation] of Object.entries(item) as Array<[string, OperationObject]>) {
      const shared: number[] = [];
      operation.security ??= [];
      if (operation.security.length > 0) shared.push(401);
      if ((operation.parameters ?? []).length > 0 || operation.requestBody) shared.push(400);
      if (BODY_METHODS.has(method)) shared.push(413, 415);
      if (path.includes('{')) shared.push(414);
      if (!isProbe) shared.push(429, 503);
      if (IDEMPOTENT_METHODS.has(method) && operation.security.length > 0) {
        operation.parameters = [...(operation.parameters ?? []), IDEMPOTENCY_KEY_PARAMETER];
        shared.push(409, 422);
      }
      for (const status of shared) {
        operation.responses[String(status)] ??= problemResponse(status);
      }
      operation.responses = sortedByStatus(operation.responses);
    }
  }
  return document;
}

const sortedByStatus = (responses: OperationObject['responses']) =>
  Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));

/** Swagger UI at /docs, the document at /docs-json. */
export function setUpOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
