import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import type { TestAccount } from './accounts.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TaskBody {
  id: string;
  title: string;
  description: string | null;
  status: 'pending' | 'in_progress' | 'completed';
  priority: 'low' | 'medium' | 'high';
  dueDate: string | null;
  completedAt: string | null;
  labels: string[];
  position: string;
  recurrence: { rule: string; timeZone: string; repeatFrom: 'due' | 'completion'; startsAt: string } | null;
  categoryId: string | null;
  parentId: string | null;
  subtasks: { total: number; completed: number };
  createdBy: { id: string; username: string; name: string } | null;
  assignee: { id: string; username: string; name: string } | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  deletedAt: string | null;
}

export interface CategoryBody {
  id: string;
  name: string;
  color: string;
  taskCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface CallOptions {
  payload?: string | object;
  headers?: Record<string, string>;
}

export type Call = (
  account: TestAccount | undefined,
  method: Method,
  path: string,
  options?: CallOptions,
) => Promise<LightMyRequestResponse>;

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const MISSING_ID = '0b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11';

/**
 * Calls /api/v1 as `account` (no Authorization header when undefined). Every 5xx answer is
 * remembered in `serverErrors`, for an `afterEach` that empties it and expects it empty, so every
 * case (run alone too) fails on a 5xx it caused.
 */
export function apiClient(app: NestFastifyApplication): { call: Call; serverErrors: string[] } {
  const serverErrors: string[] = [];
  const call: Call = async (account, method, path, options = {}) => {
    const response = await app.inject({
      method,
      url: `/api/v1${path}`,
      headers: { ...account?.auth, ...options.headers },
      ...(options.payload !== undefined ? { payload: options.payload } : {}),
    });
    if (response.statusCode >= 500) {
      serverErrors.push(`${method} ${path} ${JSON.stringify(options.payload ?? null)} -> ${response.statusCode} ${response.body}`);
    }
    return response;
  };
  return { call, serverErrors };
}

export async function sql<T = Record<string, unknown>>(
  app: NestFastifyApplication,
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (await app.get(MikroORM).em.fork().getConnection().execute(query, params)) as T[];
}

/** A problem+json answer with the given status and, when given, exactly these invalid fields. */
export function expectProblem(response: LightMyRequestResponse, status: number, fields?: string[]): void {
  expect({ status: response.statusCode, body: response.body }).toEqual({ status, body: expect.any(String) });
  expect(response.headers['content-type']).toContain('application/problem+json');
  const body = response.json();
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  expect(Object.keys(body).every((key) => ['type', 'title', 'status', 'detail', 'errors'].includes(key))).toBe(true);
  if (fields) {
    const named = (body.errors as { field: string; message: string }[]).map((error) => error.field);
    expect([...new Set(named)].sort()).toEqual([...fields].sort());
  }
}

export async function createTask(call: Call, account: TestAccount, payload: object): Promise<TaskBody> {
  const response = await call(account, 'POST', '/tasks', { payload });
  if (response.statusCode !== 201) {
    throw new Error(`create task failed: ${response.statusCode} ${response.body}`);
  }
  return response.json();
}

export async function createCategory(call: Call, account: TestAccount, payload: object): Promise<CategoryBody> {
  const response = await call(account, 'POST', '/categories', { payload });
  if (response.statusCode !== 201) {
    throw new Error(`create category failed: ${response.statusCode} ${response.body}`);
  }
  return response.json();
}

export interface TaskRowSnapshot {
  title: string;
  description: string | null;
  status: string;
  priority: string;
  due_date: string | null;
  completed_at: string | null;
  category_id: string | null;
  updated_at: string;
  version: number;
  deleted_at: string | null;
}

/** The stored row (or undefined), timestamps as exact text, to prove a refused write changed nothing. */
export async function taskRow(app: NestFastifyApplication, id: string): Promise<TaskRowSnapshot | undefined> {
  const [row] = await sql<TaskRowSnapshot>(
    app,
    `select title, description, status, priority, due_date::text, completed_at::text, category_id::text,
            updated_at::text, version, deleted_at::text from tasks where id = ?`,
    [id],
  );
  return row;
}
