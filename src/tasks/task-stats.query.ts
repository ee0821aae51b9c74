import { raw, type EntityManager, type QBFilterQuery } from '@mikro-orm/postgresql';
import { Task } from './task.entity.js';
import type { TaskScope } from './task-list-conditions.js';

/** The owner's tasks and those of the shared categories; a condition nothing meets for an empty scope. */
function scopeConditions(scope: TaskScope): QBFilterQuery<Task>[] {
  const conditions: QBFilterQuery<Task>[] = [
    ...(scope.ownerId === undefined ? [] : [{ user: scope.ownerId }]),
    ...(scope.sharedCategoryIds.length === 0 ? [] : [{ category: { $in: scope.sharedCategoryIds } }]),
  ];
  return conditions.length > 0 ? conditions : [{ id: { $in: [] } }];
}

/** The counts GET /tasks/stats answers, as the aggregate names them. */
export interface TaskStats {
  total: number;
  pending: number;
  in_progress: number;
  completed: number;
  low: number;
  medium: number;
  high: number;
  overdue: number;
  due_today: number;
  completed_last_7_days: number;
}

/**
 * One aggregate over the live tasks in the scope (the caller's own, those shared with them) (from a replica when there is one), each count a
 * `count(*) filter (where …)`: SQL the QueryBuilder cannot say, so `raw()` fragments with the
 * column names taken from the metadata. "Today" is the calendar day in `timeZone`.
 */
export async function countTaskStats(em: EntityManager, scope: TaskScope, timeZone: string): Promise<TaskStats> {
  const column = (property: keyof Task & string) => em.getMetadata(Task).properties[property].fieldNames[0];
  const status = column('status');
  const priority = column('priority');
  const due = column('dueDate');
  const completedAt = column('completedAt');
  const open = `${status} <> 'completed'`;
  // Both ends converted from local midnights, so 23- and 25-hour days are right.
  const localMidnight = `date_trunc('day', now() at time zone ?)`;
  const counts: Record<keyof TaskStats, [string, unknown[]?]> = {
    total: ['true'],
    pending: [`${status} = 'pending'`],
    in_progress: [`${status} = 'in_progress'`],
    completed: [`${status} = 'completed'`],
    low: [`${priority} = 'low'`],
    medium: [`${priority} = 'medium'`],
    high: [`${priority} = 'high'`],
    overdue: [`${due} < now() and ${open}`],
    due_today: [
      `${due} >= (${localMidnight} at time zone ?) and ${due} < ((${localMidnight} + interval '1 day') at time zone ?) and ${open}`,
      [timeZone, timeZone, timeZone, timeZone],
    ],
    completed_last_7_days: [`${status} = 'completed' and ${completedAt} >= now() - interval '7 days'`],
  };
  const row = await em
    .createQueryBuilder(Task, 'task', 'read')
    .select(Object.entries(counts).map(([name, [condition, params]]) => raw(`count(*) filter (where ${condition})::int as ${name}`, params)))
    .where({ deletedAt: null, $or: scopeConditions(scope) })
    .execute('get', false);
  return row as unknown as TaskStats;
}
