import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAppWithEnv } from './faults/support.js';
import { createTestApp } from './support/test-app.js';

let app: NestFastifyApplication;

beforeAll(async () => {
  app = await createTestApp();
});

afterAll(async () => {
  await app.close();
});

describe('app shell', () => {
  it('answers liveness without touching the database', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers readiness 200 when the database is reachable', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('is ready from the start when nothing has queried the database yet (no migration at boot)', async () => {
    const fresh = await createAppWithEnv({ MIGRATE_ON_START: 'false' });
    try {
      const response = await fresh.inject({ method: 'GET', url: '/health/ready' });
      expect(response.statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('serves Swagger UI at /docs and the OpenAPI document at /docs-json', async () => {
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    const document = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(document.statusCode).toBe(200);
    expect(document.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: 'TaskTracker API' } });
  });

  it('answers an unknown route with a problem+json 404 and nothing internal', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/no-such-route' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: expect.any(String),
    });
  });
});
