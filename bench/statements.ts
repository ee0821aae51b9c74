import type pg from 'pg';
import { decodeCursor, listFingerprint } from '../src/common/keyset-cursor.js';
import { sortSpec } from '../src/tasks/task-sort.js';
import { TaskPages } from '../src/tasks/task-pages.js';
import { FIRST_PAGE, mergedPage, NEXT_PAGE } from './baseline-sql.js';
import { withClient, withOrm } from './database.js';
import { send, type RequestStream } from './requests.js';
import { LIST_SHAPE, LIST_SORT, PAGE_SIZE, type Fixture } from './seed.js';

export interface StatementProfile {
  /** Statements PostgreSQL executed per request (BEGIN and COMMIT included). */
  perRequest: number;
  /** Each normalised statement, its kind (statementKind) and how often it ran per request. */
  statements: Array<{ perRequest: number; kind: string; query: string }>;
}

/**
 * What a statement does to which table, quoting, aliases and values aside: "begin", "commit",
 * "select sessions", "select tasks", "select users" (the quota lock), "insert tasks", "update tasks",
 * "insert activity_streams"... The API's and the baseline's texts differ (MikroORM quotes every
 * name), their kinds must not.
 */
export function statementKind(query: string): string {
  const text = query.toLowerCase().replace(/"/g, '').replace(/\s+/g, ' ').trim();
  const verb = text.split(' ')[0];
  const table = verb === 'select' ? outermostFrom(text) : {
    insert: /^insert into ([a-z_]+)/,
    update: /^update ([a-z_]+)/,
    delete: /^delete from ([a-z_]+)/,
  }[verb]?.exec(text)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/**
 * The table a select reads: the `from <table>` least deep in parentheses, so a scalar subquery in
 * the select list (the user summaries read from `users`) does not name the statement, and a merged
 * page (`select * from ((select ... from tasks ...) union all (...))`) is a select of tasks.
 */
function outermostFrom(text: string): string | undefined {
  let best: { depth: number; table: string } | undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text.startsWith(' from ', i)) {
      const table = /^ from ([a-z_]+)/.exec(text.slice(i))?.[1];
      if (table && (!best || depth < best.depth)) best = { depth, table };
    }
  }
  return best?.table;
}

/** Per request, how many more statements of each kind `api` sent than `baseline`; empty when none. */
export function extraStatements(api: StatementProfile, baseline: StatementProfile): string[] {
  const perKind = (profile: StatementProfile) => {
    const kinds = new Map<string, number>();
    profile.statements.forEach(({ kind, perRequest }) => kinds.set(kind, (kinds.get(kind) ?? 0) + perRequest));
    return kinds;
  };
  const theirs = perKind(baseline);
  return [...perKind(api)]
    .filter(([kind, n]) => n - (theirs.get(kind) ?? 0) > 0.005)
    .map(([kind, n]) => `${Math.round((n - (theirs.get(kind) ?? 0)) * 100) / 100}× ${kind}`);
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
    kind: statementKind(row.query),
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

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] }
const describe = (node: PlanNode): string[] => [
  `${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}`,
  ...(node.Plans ?? []).flatMap(describe),
];

/**
 * EXPLAIN ANALYZE of the heavy user's first and deep page, and of the sharing member's (their own
 * tasks and every category shared with them, one walk each), as the API sends them: the query is
 * TaskPages.pageStatement's own (values inlined by the platform's formatQuery, as MikroORM sends them).
 * The baseline's hand-written copy (bench/baseline-sql.ts) is explained too and must get the same
 * plan, or the comparison would not be like for like.
 */
export async function explainPages(url: string, fixture: Fixture): Promise<PagePlan[]> {
  const fingerprint = listFingerprint(LIST_SHAPE);
  const after = decodeCursor(fixture.deepCursor, fingerprint);
  const { member } = fixture;
  const shared = await withClient(url, async (client) =>
    (await client.query<{ category_id: string }>('select category_id from category_members where user_id = $1 order by category_id', [member.id])).rows.map((row) => row.category_id),
  );
  const memberAfter = decodeCursor(member.sharedCursors.at(-1)!, fingerprint);
  const memberDepth = fixture.member.sharedCursors.length;
  const positions = [
    { page: 'heavy user, first page', owner: fixture.heavy.id, shared: [], position: undefined },
    { page: `heavy user, ${fixture.deepRows} rows deep`, owner: fixture.heavy.id, shared: [], position: after },
    { page: `sharing member (${shared.length} shared categories), first page`, owner: member.id, shared, position: undefined },
    { page: `sharing member, deep page (cursor ${memberDepth} of ${memberDepth})`, owner: member.id, shared, position: memberAfter },
  ];
  const apiQueries = await withOrm(url, async (orm) =>
    positions.map(({ owner, shared: sharedCategoryIds, position }) => {
      const { sql, params } = new TaskPages(orm.em.fork()).pageStatement({ ownerId: owner, sharedCategoryIds }, {}, sortSpec(LIST_SORT), position, PAGE_SIZE);
      return orm.em.getPlatform().formatQuery(sql, params);
    }),
  );
  return withClient(url, async (client) => {
    const explain = async (sql: string, params: unknown[]) => {
      const { rows } = await client.query(`explain (analyze, format json) ${sql}`, params);
      const [{ Plan, 'Execution Time': executionMs }] = rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode; 'Execution Time': number }>;
      return { executionMs, plan: describe(Plan).join(' > ') };
    };
    const plans: PagePlan[] = [];
    for (const [i, { page, owner, shared: categories, position }] of positions.entries()) {
      const measured = await explain(apiQueries[i], []);
      const cursor = position ? [position.value, position.id] : [];
      const baselineSql = categories.length > 0 ? mergedPage(categories.length, position !== undefined) : position ? NEXT_PAGE : FIRST_PAGE;
      const baseline = await explain(baselineSql, [owner, ...categories, ...cursor, PAGE_SIZE + 1]);
      if (baseline.plan !== measured.plan) {
        throw new Error(`list query, ${page}: the API's plan is ${measured.plan}, the baseline's ${baseline.plan}: bench/baseline-sql.ts no longer copies TaskPages.pageStatement`);
      }
      plans.push({ page, ...measured });
    }
    return plans;
  });
}
