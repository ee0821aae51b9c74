import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './common/errors/problem.js';
import { ProblemSchema } from './common/errors/problem.schema.js';

export const BEARER_SCHEME = 'bearer';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('TaskTracker API')
    .setDescription(
      'Multi-user task tracker. Register, log in, then press "Authorize" and paste the accessToken. ' +
        'Every error is RFC 9457 application/problem+json.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'accessToken from POST /api/v1/auth/login' }, BEARER_SCHEME)
    .build();
  return withSharedResponses(SwaggerModule.createDocument(app, config, { extraModels: [ProblemSchema] }));
}

const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemSchema' } } },
});

/**
 * Answers every route can give, documented once here rather than on each handler: 429 from the
 * rate limit (all but health probes), 414 for over-long path parameters (the router refuses
 * them), 413 and 415 wherever a body is read.
 */
function withSharedResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item) as Array<OpenAPIObject['paths'][string]['get'] & object>) {
      if (!path.startsWith('/health/')) {
        operation.responses['429'] ??= problemResponse('Too many requests; see Retry-After');
      }
      if (path.includes('{')) {
        operation.responses['414'] ??= problemResponse('A path parameter is longer than 100 characters');
      }
      if (operation.requestBody) {
        operation.responses['413'] ??= problemResponse('Body larger than 100 KiB');
        operation.responses['415'] ??= problemResponse('Content type is not application/json');
      }
    }
  }
  return document;
}

/** Swagger UI at /docs, the document at /docs-json. */
export function setUpOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
