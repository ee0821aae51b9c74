import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildOpenApiDocumentOffline } from '../src/app.setup.js';
import { createTestApp } from './support/test-app.js';

interface DocumentedOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
  parameters?: Array<{ name: string; in: string; style?: string; explode?: boolean; schema: Record<string, unknown> }>;
}

let app: NestFastifyApplication;
let document: {
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, DocumentedOperation>>;
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
        'get /api/v1/categories/{id}/members',
        'patch /api/v1/categories/{id}/members/{userId}',
        'delete /api/v1/categories/{id}/members/{userId}',
        'post /api/v1/categories/{id}/invitations',
        'get /api/v1/categories/{id}/invitations',
        'delete /api/v1/categories/{id}/invitations/{invitationId}',
        'get /api/v1/invitations',
        'post /api/v1/invitations/{id}/accept',
        'post /api/v1/invitations/{id}/decline',
        'post /api/v1/tasks',
        'get /api/v1/tasks',
        'get /api/v1/tasks/stats',
        'get /api/v1/tasks/{id}',
        'patch /api/v1/tasks/{id}',
        'delete /api/v1/tasks/{id}',
        'post /api/v1/tasks/{id}/toggle',
        'post /api/v1/tasks/{id}/restore',
        'post /api/v1/tasks/{id}/move',
        'get /api/v1/tasks/{id}/occurrences',
        'get /api/v1/tasks/{id}/upcoming',
        'get /api/v1/trash',
        'delete /api/v1/trash/{id}',
        'get /api/v1/labels',
        'patch /api/v1/labels/{name}',
        'delete /api/v1/labels/{name}',
        'get /api/v1/activity',
        'get /api/v1/tasks/{id}/activity',
        'get /api/v1/categories/{id}/activity',
        'get /api/v1/changes',
        'post /api/v1/tasks/batch',
        'post /api/v1/webhooks',
        'get /api/v1/webhooks',
        'get /api/v1/webhooks/{id}',
        'patch /api/v1/webhooks/{id}',
        'delete /api/v1/webhooks/{id}',
        'post /api/v1/webhooks/{id}/secret',
        'get /api/v1/webhooks/{id}/deliveries',
        'post /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      ].sort(),
    );
  });

  it('declares the bearer scheme, required on every route but the public ones', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { key, operation } of operations()) {
      if (PUBLIC_OPERATIONS.has(key)) {
        // Said explicitly: a generator (and Redocly's security-defined) reads no requirement as "unknown".
        expect([key, operation.security]).toEqual([key, []]);
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

/** The contract generated clients are built from (issue 10 §11); `npm run openapi:lint` lints the same document. */
describe('a contract clients can generate from', () => {
  const PROBLEM_REF = { $ref: '#/components/schemas/ProblemSchema' };
  const statusesOf = (operation: DocumentedOperation) => Object.keys(operation.responses);

  it('is the document the offline generator writes for the linters (no database, no server)', async () => {
    expect(JSON.parse(JSON.stringify(await buildOpenApiDocumentOffline()))).toEqual(document);
  });

  it('names a server and describes every tag the operations use', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    const described = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const { key, operation } of operations()) {
      expect([key, operation.tags]).toEqual([key, [expect.any(String)]]);
      expect([key, described.get(operation.tags![0])]).toEqual([key, expect.stringMatching(/\w/)]);
    }
  });

  it('gives every operation a summary, a description and a unique camelCase operationId', () => {
    const ids = operations().map(({ key, operation }) => {
      expect([key, operation.summary, operation.description]).toEqual([key, expect.stringMatching(/\w/), expect.stringMatching(/\w{3}.* .*\w/)]);
      expect([key, operation.operationId]).toEqual([key, expect.stringMatching(/^[a-z][A-Za-z]+$/)]);
      return operation.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths['/api/v1/tasks'].get.operationId).toBe('tasksList');
  });

  it('documents every status the shared machinery can answer, as problem+json', () => {
    for (const { key, operation } of operations()) {
      const [method, path] = key.split(' ');
      const expected = [
        ...(operation.security!.length > 0 ? ['401'] : []),
        ...((operation.parameters ?? []).length > 0 || operation.requestBody ? ['400'] : []),
        ...(method === 'get' ? [] : ['413', '415']),
        ...(path.includes('{') ? ['404', '414'] : []),
        ...(path.startsWith('/health/') ? [] : ['429', '503']),
      ];
      expect([key, statusesOf(operation)]).toEqual([key, expect.arrayContaining(expected)]);
      for (const status of statusesOf(operation).filter((s) => Number(s) >= 400 && key !== 'get /health/ready')) {
        expect([key, status, operation.responses[status].content]).toEqual([key, status, { 'application/problem+json': { schema: PROBLEM_REF } }]);
      }
      for (const status of ['429', '503'].filter((s) => operation.responses[s] && !path.startsWith('/health/'))) {
        expect([key, status, Object.keys(operation.responses[status].headers ?? {})]).toEqual([key, status, ['Retry-After']]);
      }
    }
  });

  it('documents the conditional-write and conflict answers of the routes that give them', () => {
    for (const key of ['patch /api/v1/tasks/{id}', 'post /api/v1/tasks/{id}/toggle', 'delete /api/v1/tasks/{id}']) {
      expect([key, statusesOf(operations().find((o) => o.key === key)!.operation)]).toEqual([key, expect.arrayContaining(['412'])]);
    }
    for (const key of ['post /api/v1/auth/register', 'patch /api/v1/users/me', 'post /api/v1/categories', 'patch /api/v1/categories/{id}']) {
      expect([key, statusesOf(operations().find((o) => o.key === key)!.operation)]).toEqual([key, expect.arrayContaining(['409'])]);
    }
    expect(statusesOf(document.paths['/api/v1/tasks/{id}'].get)).toContain('304');
  });

  it('declares status and priority as arrays serialised comma-separated (style form, explode false)', () => {
    const parameters = document.paths['/api/v1/tasks'].get.parameters!;
    for (const [name, values] of [['status', ['pending', 'in_progress', 'completed']], ['priority', ['low', 'medium', 'high']]] as const) {
      expect(parameters.find((p) => p.name === name)).toMatchObject({
        in: 'query',
        style: 'form',
        explode: false,
        schema: { type: 'array', maxItems: values.length, items: { type: 'string', enum: values } },
      });
    }
  });
});
