import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestApp } from './support/test-app.js';

let app: NestFastifyApplication;
let document: {
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; parameters?: unknown[] }>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
};

const PUBLIC_OPERATIONS = new Set(['post /api/v1/auth/register', 'post /api/v1/auth/login', 'get /health/live', 'get /health/ready']);

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ key: `${method} ${path}`, operation })),
  );

beforeAll(async () => {
  app = await createTestApp();
  document = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
});

afterAll(async () => {
  await app.close();
});

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3', async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route of the API', () => {
    expect(operations().map((o) => o.key).sort()).toEqual(
      [
        'get /health/live',
        'get /health/ready',
        'post /api/v1/auth/register',
        'post /api/v1/auth/login',
        'post /api/v1/auth/logout',
        'get /api/v1/auth/sessions',
        'delete /api/v1/auth/sessions/{id}',
        'get /api/v1/users/me',
        'patch /api/v1/users/me',
        'delete /api/v1/users/me',
        'put /api/v1/users/me/password',
        'post /api/v1/categories',
        'get /api/v1/categories',
        'get /api/v1/categories/{id}',
        'patch /api/v1/categories/{id}',
        'delete /api/v1/categories/{id}',
        'post /api/v1/tasks',
        'get /api/v1/tasks',
        'get /api/v1/tasks/stats',
        'get /api/v1/tasks/{id}',
        'patch /api/v1/tasks/{id}',
        'delete /api/v1/tasks/{id}',
        'post /api/v1/tasks/{id}/toggle',
      ].sort(),
    );
  });

  it('declares the bearer scheme, required on every route but the public ones', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { key, operation } of operations()) {
      if (PUBLIC_OPERATIONS.has(key)) {
        expect([key, operation.security ?? []]).toEqual([key, []]);
      } else {
        expect([key, operation.security]).toEqual([key, [{ bearer: [] }]]);
        expect([key, Object.keys(operation.responses)]).toEqual([key, expect.arrayContaining(['401'])]);
      }
    }
  });

  it('documents the problem+json errors with their schema', () => {
    expect(document.components.schemas.ProblemSchema).toBeDefined();
    const patchTask = document.paths['/api/v1/tasks/{id}'].patch;
    for (const status of ['400', '401', '404', '412']) {
      expect(patchTask.responses[status]).toMatchObject({
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemSchema' } } },
      });
    }
    expect(document.paths['/api/v1/categories'].post.responses['409']).toBeDefined();
  });

  it('describes enums, formats and limits of the task schema', () => {
    const schema = document.components.schemas.CreateTaskDto as { properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(schema.required).toEqual(['title']);
    expect(schema.properties.title).toMatchObject({ minLength: 1, maxLength: 200 });
    expect(schema.properties.status).toMatchObject({ enum: ['pending', 'in_progress', 'completed'] });
    expect(schema.properties.priority).toMatchObject({ enum: ['low', 'medium', 'high'] });
    expect(schema.properties.dueDate).toMatchObject({ format: 'date-time', nullable: true });
    expect(schema.properties.categoryId).toMatchObject({ format: 'uuid' });
    const list = document.paths['/api/v1/tasks'].get.parameters as Array<{ name: string; schema: Record<string, unknown> }>;
    expect(list.find((p) => p.name === 'limit')?.schema).toMatchObject({ minimum: 1, maximum: 100 });
  });
});
