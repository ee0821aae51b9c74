import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql } from './openapi-fixtures.js';

/** Invariants the data must keep whatever the requests were; each broken one is described. */
export async function inconsistencies(app: NestFastifyApplication, knownUserIds: Set<string>): Promise<string[]> {
  const checks: Array<[string, string]> = [
    ['tasks whose user does not exist', 'select t.id from tasks t left join users u on u.id = t.user_id where u.id is null'],
    ['tasks whose category does not exist', 'select t.id from tasks t left join categories c on c.id = t.category_id where t.category_id is not null and c.id is null'],
    ["tasks filed under another user's category", 'select t.id from tasks t join categories c on c.id = t.category_id where c.user_id <> t.user_id'],
    ['tasks with completed_at set iff not completed', "select id from tasks where (completed_at is not null) <> (status = 'completed')"],
    ['tasks with an unknown status or priority', "select id from tasks where status not in ('pending', 'in_progress', 'completed') or priority not in ('low', 'medium', 'high')"],
    ['tasks with an empty title or a version below 1', "select id from tasks where title = '' or version < 1"],
    ['tasks assigned to someone with no role on them (neither their owner nor a member of their category)',
      'select t.id from tasks t where t.assignee_id is not null and t.assignee_id <> t.user_id and not exists (select 1 from category_members m where m.category_id = t.category_id and m.user_id = t.assignee_id)'],
    ['categories whose user does not exist', 'select c.id from categories c left join users u on u.id = c.user_id where u.id is null'],
    ['categories with an empty name or a bad colour', "select id from categories where name = '' or color !~ '^#[0-9a-f]{6}$'"],
    ['categories with their owner among their members', 'select m.category_id as id from category_members m join categories c on c.id = m.category_id where m.user_id = c.user_id'],
    ['sessions whose user does not exist', 'select s.id from sessions s left join users u on u.id = s.user_id where u.id is null'],
    ['users with an upper-case email', 'select id from users where email <> lower(email)'],
  ];
  const problems: string[] = [];
  for (const [label, query] of checks) {
    const rows = await sql<{ id: string }>(app, query);
    if (rows.length > 0) problems.push(`${label}: ${rows.map((r) => r.id).join(', ')}`);
  }
  const users = await sql<{ id: string }>(app, 'select id::text from users');
  const strangers = users.map((u) => u.id).filter((id) => !knownUserIds.has(id));
  if (strangers.length > 0) problems.push(`users nobody created through a 201 or the fixtures: ${strangers.join(', ')}`);
  return problems;
}
