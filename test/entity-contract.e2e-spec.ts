import { MikroORM, type EntityClass, type EntityMetadata } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Activity } from '../src/activity/activity.entity.js';
import { Category } from '../src/categories/category.entity.js';
import { TaskOccurrence } from '../src/tasks/recurrence/task-occurrence.entity.js';
import { Task } from '../src/tasks/task.entity.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { fetchDocument, type OpenApiDocument } from './support/openapi-contract.js';
import { createTestApp } from './support/test-app.js';
import { apiClient, createCategory, createTask, type Call } from './support/tasks-fixtures.js';

/**
 * A property added to an entity must reach the API: its response DTO, the served OpenAPI schema
 * and a real answer, under the name the API gives it. Properties that stay inside are listed
 * here with the reason, so forgetting one fails this test instead of shipping a column nobody
 * can read.
 */
interface EntityContract {
  entity: EntityClass<object>;
  schema: string;
  /** Entity property -> API field, where the names differ. */
  renamed: Record<string, string>;
  /** Properties the API never shows, and why. */
  internal: Record<string, string>;
  /** A real answer carrying one such object. */
  sample: () => Promise<Record<string, unknown>>;
}

let app: NestFastifyApplication;
let call: Call;
let document: OpenApiDocument;
let contracts: EntityContract[];
let owner: TestAccount;
let categoryId: string;

beforeAll(async () => {
  app = await createTestApp();
  ({ call } = apiClient(app));
  document = await fetchDocument(app);
  owner = await registerAndLogin(app);
  const category = await createCategory(call, owner, { name: 'Contract' });
  categoryId = category.id;
  const task = await createTask(call, owner, { title: 'Contract', categoryId: category.id });
  contracts = [
    {
      entity: Task,
      schema: 'TaskResponse',
      renamed: { category: 'categoryId', parent: 'parentId' },
      internal: { user: 'the owner is the caller', priorityRank: 'a sort key derived from priority', labelKeys: 'the labels lower-cased, for matching' },
      sample: async () => task as unknown as Record<string, unknown>,
    },
    {
      entity: Category,
      schema: 'CategoryResponse',
      renamed: {},
      internal: { user: 'the owner is the caller', tasks: 'the inverse side of tasks.category; taskCount summarises it' },
      sample: async () => (await call(owner, 'GET', `/categories/${category.id}`)).json(),
    },
    {
      entity: TaskOccurrence,
      schema: 'OccurrenceResponse',
      renamed: {},
      internal: { task: 'the task is the one in the path' },
      sample: async () => {
        const recurring = await createTask(call, owner, { title: 'Contract', dueDate: '2027-01-04T08:00:00Z', recurrence: { rule: 'FREQ=DAILY', timeZone: 'UTC' } });
        await call(owner, 'POST', `/tasks/${recurring.id}/toggle`);
        return (await call(owner, 'GET', `/tasks/${recurring.id}/occurrences`)).json().items[0];
      },
    },
    {
      entity: Activity,
      schema: 'ActivityResponse',
      renamed: {},
      internal: { user: 'the stream owner is the caller', seq: 'the stream position, carried inside cursors', requestId: 'for operators reading logs' },
      sample: async () => (await call(owner, 'GET', '/activity?limit=1')).json().items[0],
    },
  ];
});

afterAll(async () => {
  await app.close();
});

const metadataOf = (entity: EntityClass<object>): EntityMetadata => app.get(MikroORM).getMetadata().get(entity);

describe.each([Task, Category, TaskOccurrence, Activity].map((entity) => [entity.name, entity] as const))('every %s property reaches the API or says why not', (_name, entity) => {
  const contract = () => contracts.find((candidate) => candidate.entity === entity)!;
  const apiFields = () => {
    const { renamed, internal } = contract();
    return Object.keys(metadataOf(entity).properties)
      .filter((property) => !(property in internal))
      .map((property) => renamed[property] ?? property);
  };

  it('in the response schema of the served OpenAPI document', () => {
    const schema = document.components.schemas[contract().schema] as { properties: Record<string, unknown>; required?: string[] };
    expect(Object.keys(schema.properties).sort()).toEqual(expect.arrayContaining(apiFields().sort()));
  });

  it('in a real answer', async () => {
    expect(Object.keys(await contract().sample()).sort()).toEqual(expect.arrayContaining(apiFields().sort()));
  });

  it('lists only properties that exist as internal', () => {
    const properties = Object.keys(metadataOf(entity).properties);
    expect(properties).toEqual(expect.arrayContaining([...Object.keys(contract().internal), ...Object.keys(contract().renamed)]));
  });
});

describe('list pages answer each task exactly as a single read does', () => {
  it('GET /tasks and GET /trash items equal GET /tasks/{id} and the trashed task, field for field', async () => {
    const task = await createTask(call, owner, { title: 'Same everywhere', description: 'd', dueDate: '2027-03-04T05:06:07.891Z', categoryId, status: 'completed' });
    const [listed] = (await call(owner, 'GET', '/tasks?limit=1')).json().items;
    expect(listed).toEqual((await call(owner, 'GET', `/tasks/${task.id}`)).json());
    const restored = await createTask(call, owner, { title: 'Trashed the same' });
    await call(owner, 'DELETE', `/tasks/${restored.id}`);
    const [trashed] = (await call(owner, 'GET', '/trash?limit=1')).json().items;
    expect(trashed).toEqual({ ...restored, version: restored.version + 1, deletedAt: expect.any(String), updatedAt: expect.any(String) });
    expect((await call(owner, 'POST', `/tasks/${restored.id}/restore`)).json()).toEqual({ ...trashed, version: trashed.version + 1, deletedAt: null, updatedAt: expect.any(String) });
  });
});

describe('every field of the task bodies is stored and read back', () => {
  const bodyFields = (schemaName: string) =>
    Object.entries((document.components.schemas[schemaName] as { properties: Record<string, { example?: unknown }> }).properties);
  const sameInstant = (value: unknown) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) && /T/.test(value) ? new Date(value).toISOString() : value);

  it.each(['CreateTaskDto', 'UpdateTaskDto'])('%s: each documented field, sent with its example, comes back', async (schemaName) => {
    for (const [field, property] of bodyFields(schemaName)) {
      // Every field documents an example: it is what client generators and this test send. Ids
      // of other resources must name real ones the caller may use.
      const parentId = field === 'parentId' ? (await createTask(call, owner, { title: 'Parent' })).id : undefined;
      const value = field === 'categoryId' ? categoryId : field === 'assigneeId' ? owner.id : field === 'parentId' ? parentId : property.example;
      expect({ field, value }).toEqual({ field, value: expect.anything() });
      // A recurring task needs a due date.
      const needs = field === 'recurrence' ? { dueDate: '2026-12-07T08:00:00Z' } : {};
      const created = await createTask(call, owner, { title: 'Round trip', ...needs });
      const response =
        schemaName === 'CreateTaskDto'
          ? await call(owner, 'POST', '/tasks', { payload: { title: 'Round trip', ...needs, [field]: value } })
          : await call(owner, 'PATCH', `/tasks/${created.id}`, { payload: { [field]: value } });
      expect(response.statusCode).toBeLessThan(300);
      const read = (await call(owner, 'GET', `/tasks/${response.json().id}`)).json();
      // A person is answered as a summary under the relation's name (assigneeId -> assignee.id).
      const answered = field === 'assigneeId' ? read.assignee?.id : read[field];
      expect({ field, value: sameInstant(answered) }).toEqual({ field, value: sameInstant(value) });
    }
  });
});
