import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { newAccountData } from './support/accounts.js';
import { createTestApp } from './support/test-app.js';

let app: NestFastifyApplication;
const lines: string[] = [];

beforeAll(async () => {
  app = await createTestApp({ write: (line: string) => void lines.push(line) });
});

afterAll(async () => {
  await app.close();
});

const requestLines = () =>
  lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request completed');

describe('request logs and headers', () => {
  it('writes one JSON line per request with method, route, status, duration and request id', async () => {
    lines.length = 0;
    const response = await app.inject({ method: 'GET', url: '/api/v1/tasks/01a205fc-48ef-75ba-aff6-1f89762bf66b' });
    expect(response.statusCode).toBe(401);
    const entries = requestLines();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      req: { method: 'GET', route: '/api/v1/tasks/:id', id: response.headers['x-request-id'] },
      res: { statusCode: 401 },
      responseTime: expect.any(Number),
    });
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const kept = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123.trace' } });
    expect(kept.headers['x-request-id']).toBe('abc-123.trace');
    const replaced = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id\n<script>' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs passwords, tokens or Authorization headers', async () => {
    lines.length = 0;
    const account = newAccountData({ password: 'a very secret passphrase 42' });
    await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: account });
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: account.email, password: account.password } });
    const token = login.json().accessToken as string;
    await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } });
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: account.email, password: 'wrong but secret 99' } });
    await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: { authorization: `Bearer ${token}` },
      payload: { currentPassword: account.password, newPassword: 'the next secret phrase' },
    });

    const everything = lines.join('\n');
    expect(requestLines().length).toBeGreaterThanOrEqual(5);
    for (const secret of [account.password, 'wrong but secret 99', 'the next secret phrase', token, 'Bearer', 'authorization']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('sends security headers on API responses and still serves Swagger UI', async () => {
    const api = await app.inject({ method: 'GET', url: '/health/live' });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(api.headers['strict-transport-security']).toContain('max-age=');
    const docs = await app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    const script = await app.inject({ method: 'GET', url: '/docs/swagger-ui-bundle.js' });
    expect(script.statusCode).toBe(200);
  });

  it('allows no cross-origin caller by default', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/tasks',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});
