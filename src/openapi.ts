import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
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
  return SwaggerModule.createDocument(app, config, { extraModels: [ProblemSchema] });
}

/** Swagger UI at /docs, the document at /docs-json. */
export function setUpOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
