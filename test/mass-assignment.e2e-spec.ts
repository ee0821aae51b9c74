import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { newAccountData, registerAndLogin, type TestAccount } from './support/accounts.js';
import { createContractChecker, fetchDocument, listOperations, type ContractChecker, type HttpMethod, type Operation } from './support/openapi-contract.js';
import { send, snapshotTables, sql } from './support/openapi-fixtures.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * Server-owned fields sent in a create or update body are refused with a 400 naming them, and
 * nothing is written: not the field, and not the legitimate change sent beside it.
 */

let app: NestFastifyApplication;
let operations: Operation[];
let checker: ContractChecker;
let owner: TestAccount;
let stranger: TestAccount;
let taskId: string;
let categoryId: string;

const API = '/api/v1';
const PAST = '2001-01-01T00:00:00.000Z';

/** Each server-owned field with a value an attacker would like it to take. */
const serverOwnedFields = (): Array<[string, unknown]> => [
  ['id', randomUUID()],
  ['userId', stranger.id],
  ['user', stranger.id],
  ['user', { id: stranger.id }],
  ['version', 999],
  ['completedAt', PAST],
  ['createdAt', PAST],
  ['updatedAt', PAST],
  ['passwordHash', '$2b$10$abcdefghijklmnopqrstuuJ9Pp2nWkS4e6xbR7cRrSNvC8bN9Mv5W'],
  ['isActive', false],
  ['emailVerified', true],
  ['taskCount', 42],
  // The column names too: nothing maps snake_case onto the entities, but prove it.
  ['user_id', stranger.id],
  ['password_hash', 'x'],
  ['is_active', false],
  ['email_verified', true],
  ['completed_at', PAST],
  ['created_at', PAST],
];

interface Target {
  name: string;
  method: HttpMethod;
  url: () => string;
  /** A legitimate body the route accepts; the forbidden field is added to it. */
  valid: () => Record<string, unknown>;
  /** Public routes are called without a token. */
  anonymous?: boolean;
  extraFields?: Array<[string, unknown]>;
  /** Fields the route takes from the client although the server owns them elsewhere. */
  clientChosen?: string[];
}

const TARGETS: Target[] = [
  // A create's id may be chosen by the client (offline clients): tested in tasks-crud and categories.
  { name: 'POST /tasks', method: 'POST', url: () => `${API}/tasks`, valid: () => ({ title: 'Legit task' }), clientChosen: ['id'] },
  { name: 'PATCH /tasks/{id}', method: 'PATCH', url: () => `${API}/tasks/${taskId}`, valid: () => ({ title: 'Legit rename', status: 'completed' }) },
  { name: 'POST /categories', method: 'POST', url: () => `${API}/categories`, valid: () => ({ name: `Legit ${randomUUID()}` }), clientChosen: ['id'] },
  { name: 'PATCH /categories/{id}', method: 'PATCH', url: () => `${API}/categories/${categoryId}`, valid: () => ({ name: 'Legit rename' }) },
  { name: 'POST /auth/register', method: 'POST', url: () => `${API}/auth/register`, valid: () => newAccountData(), anonymous: true },
  {
    name: 'PATCH /users/me', method: 'PATCH', url: () => `${API}/users/me`, valid: () => ({ name: 'Legit Name' }),
    extraFields: [['password', 'a brand new passphrase 123'], ['sessions', []]],
  },
];

const call = (target: Target, payload: unknown) =>
  send(app, target.method, target.url(), { authorization: target.anonymous ? undefined : owner.auth.authorization, payload });

const operationOf = (target: Target) => {
  const [method, path] = target.name.split(' ');
  const found = operations.find((o) => o.method === method && o.path === `${API}${path}`);
  if (!found) throw new Error(`${target.name} is not in the OpenAPI document`);
  return found;
};

beforeAll(async () => {
  process.env.RATE_LIMIT_PER_MINUTE = '1000000';
  app = await createTestApp();
  await truncateAll(app);
  const document = await fetchDocument(app);
  operations = listOperations(document);
  checker = createContractChecker(document);
  owner = await registerAndLogin(app);
  stranger = await registerAndLogin(app);
  categoryId = (await send(app, 'POST', `${API}/categories`, { authorization: owner.auth.authorization, payload: { name: 'Owned' } })).json().id;
  taskId = (await send(app, 'POST', `${API}/tasks`, { authorization: owner.auth.authorization, payload: { title: 'Owned task', categoryId } })).json().id;
});

afterAll(async () => {
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await app.close();
});

describe('mass assignment of server-owned fields', () => {
  it.each(TARGETS.map((target) => [target.name, target] as const))('%s refuses each server-owned field with a 400 naming it, writing nothing', async (_name, target) => {
    const operation = operationOf(target);
    const fields = [...serverOwnedFields(), ...(target.extraFields ?? [])].filter(([name]) => !target.clientChosen?.includes(name));
    for (const [field, value] of fields) {
      for (const payload of [{ ...target.valid(), [field]: value }, { [field]: value }]) {
        const before = await snapshotTables(app);
        const response = await call(target, payload);
        const label = { route: target.name, field, payload };
        expect({ ...label, status: response.statusCode }).toEqual({ ...label, status: 400 });
        const problem = response.json();
        expect({ ...label, fields: problem.errors?.map((e: { field: string }) => e.field) }).toEqual({ ...label, fields: expect.arrayContaining([field]) });
        expect({ ...label, detail: problem.detail }).toEqual({ ...label, detail: expect.stringContaining(field) });
        expect({ ...label, violations: checker.violations(operation, response) }).toEqual({ ...label, violations: [] });
        expect({ ...label, rows: await snapshotTables(app) }).toEqual({ ...label, rows: before });
      }
    }
  });

  // Fastify refuses `__proto__` and `constructor.prototype` while parsing; a plain `constructor`
  // key (or any Object.prototype member name) reaches validation, which must refuse it like any
  // other unknown property.
  it.each(TARGETS.map((target) => [target.name, target] as const))('%s refuses them smuggled through __proto__, constructor.prototype and constructor', async (_name, target) => {
    const valid = JSON.stringify(target.valid()).slice(1);
    const smuggled = '{"isActive":false,"emailVerified":true,"userId":"' + stranger.id + '","version":999,"completedAt":"' + PAST + '"}';
    for (const text of [`{"__proto__":${smuggled},${valid}`, `{"constructor":{"prototype":${smuggled}},${valid}`, `{"constructor":${smuggled},${valid}`]) {
      const before = await snapshotTables(app);
      const response = await call(target, text);
      expect([target.name, text, response.statusCode]).toEqual([target.name, text, 400]);
      expect(checker.violations(operationOf(target), response)).toEqual([]);
      expect(await snapshotTables(app)).toEqual(before);
    }
  });

  it('the same routes accept the legitimate bodies alone (so the refusals above are about the fields)', async () => {
    for (const target of TARGETS) {
      const response = await call(target, target.valid());
      expect([target.name, response.statusCode]).toEqual([target.name, target.method === 'POST' ? 201 : 200]);
    }
    const [task] = await sql<{ version: number; user_id: string; completed_at: unknown }>(app, 'select version, user_id::text, completed_at from tasks where id = ?', [taskId]);
    expect(task).toMatchObject({ version: 2, user_id: owner.id });
    expect(task.completed_at).not.toBeNull();
    const [user] = await sql<{ is_active: boolean; email_verified: boolean }>(app, 'select is_active, email_verified from users where id = ?', [owner.id]);
    expect(user).toEqual({ is_active: true, email_verified: false });
  });
});
