import type { TestAccount } from './accounts.js';
import type { Call } from './tasks-fixtures.js';

/** One change of GET /changes, as the feed answers it. */
export interface Change {
  seq: number;
  at: string;
  entityType: 'task' | 'category';
  entityId: string;
  op: 'upsert' | 'delete';
  reason?: string;
  data?: Record<string, unknown>;
}

export interface ChangesPage {
  changes: Change[];
  cursor: string;
  hasMore: boolean;
}

/** One page of the account's change feed after `cursor` (a fresh cursor without one); fails on any status but 200. */
export async function changesPage(call: Call, account: TestAccount, cursor?: string, limit?: number): Promise<ChangesPage> {
  const query = new URLSearchParams({ ...(cursor && { cursor }), ...(limit && { limit: String(limit) }) });
  const response = await call(account, 'GET', `/changes?${query}`);
  expect({ status: response.statusCode, body: response.statusCode === 200 ? 'ok' : response.body }).toEqual({ status: 200, body: 'ok' });
  return response.json();
}
