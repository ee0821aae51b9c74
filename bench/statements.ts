import type pg from 'pg';
import { decodeCursor, listFingerprint } from '../src/common/keyset-cursor.js';
import { sortSpec } from '../src/tasks/task-sort.js';
import { buildPageQuery } from '../src/tasks/task.repository.js';
import { send, type RequestStream } from './requests.js';
import { LIST_SORT, PAGE_SIZE, type Fixture } from './seed.js';
import { numbered } from './sql.js';

export interface StatementProfile {
  /** Statements PostgreSQL executed per request (BEGIN and COMMIT included). */
  perRequest: number;
  /** Each normalised statement and how often it ran per request. */
  statements: Array<{ perRequest: number; query: string }>;
}

/**
 * Counted by PostgreSQL itself: pg_stat_statements (track_utility is on by default, so BEGIN and
 * COMMIT count too) is reset, `count` requests are sent one at a time with nothing else running,
 * and the calls in this database are summed. Sessions are refreshed first so that no
 * once-a-minute `last_used_at` touch lands inside the window.
 */
export async function profileStatements(
  admin: pg.Client,
  baseUrl: string,
  stream: RequestStream,
  count: number,
  firstIndex: number,
): Promise<StatementProfile> {
  await admin.query('update sessions set last_used_at = now()');
  await admin.query('select pg_stat_statements_reset()');
  for (let i = 0; i < count; i++) {
    const reply = await send(baseUrl, stream(firstIndex + i));
    if (reply.status >= 300) {
      throw new Error(`statement count: ${stream(firstIndex + i).path} answered ${reply.status}`);
    }
  }
  const { rows } = await admin.query<{ calls: string; query: string }>(
    `select calls, query from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
        and query !~ 'pg_stat_statements'
      order by calls desc, query`,
  );
  const statements = rows.map((row) => ({
    perRequest: Number(row.calls) / count,
    query: row.query.replace(/\s+/g, ' ').slice(0, 160),
  }));
  const total = rows.reduce((sum, row) => sum + Number(row.calls), 0);
  return { perRequest: Math.round((total / count) * 100) / 100, statements };
}

export interface PagePlan {
  page: string;
  executionMs: number;
  /** Plan nodes, outermost first, e.g. "Limit > Index Scan Backward using tasks_user_created_at_idx". */
  plan: string;
}

/** EXPLAIN ANALYZE of the heavy user's first and deep page: does the keyset page walk the index? */
export async function explainPages(admin: pg.Client, fixture: Fixture): Promise<PagePlan[]> {
  interface Node { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: Node[] }
  const describe = (node: Node): string[] => [
    `${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}`,
    ...(node.Plans ?? []).flatMap(describe),
  ];
  const after = decodeCursor(fixture.deepCursor, listFingerprint({ sort: LIST_SORT }));
  const plans: PagePlan[] = [];
  for (const [page, position] of [['first page', undefined], [`${fixture.deepRows} rows deep`, after]] as const) {
    const { sql, params } = buildPageQuery(fixture.heavy.id, {}, sortSpec(LIST_SORT), position, PAGE_SIZE);
    const { rows } = await admin.query(`explain (analyze, format json) ${numbered(sql)}`, params);
    const [{ Plan, 'Execution Time': executionMs }] = rows[0]['QUERY PLAN'] as Array<{ Plan: Node; 'Execution Time': number }>;
    plans.push({ page, executionMs, plan: describe(Plan).join(' > ') });
  }
  return plans;
}
