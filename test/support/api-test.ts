import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { apiClient, type Call } from './tasks-fixtures.js';
import { createTestApp, truncateAll } from './test-app.js';

export interface ApiTest {
  /** The application, once beforeAll has run. */
  readonly app: NestFastifyApplication;
  /** Calls /api/v1 (see apiClient); usable from beforeAll on. */
  readonly call: Call;
}

/**
 * The usual e2e file: one application on an emptied database, built with `env` set (and unset
 * after), and every case failing on a 5xx it caused (run alone too). Call it at the top of the file.
 */
export function apiTest(env: Record<string, string> = {}): ApiTest {
  let app: NestFastifyApplication | undefined;
  let call: Call | undefined;
  let serverErrors: string[] = [];
  beforeAll(async () => {
    Object.assign(process.env, env);
    app = await createTestApp();
    await truncateAll(app);
    ({ call, serverErrors } = apiClient(app));
  });
  afterAll(async () => {
    for (const name of Object.keys(env)) delete process.env[name];
    await app?.close();
  });
  afterEach(() => {
    expect(serverErrors.splice(0)).toEqual([]);
  });
  return {
    get app() {
      return app!;
    },
    call: (...args) => call!(...args),
  };
}
