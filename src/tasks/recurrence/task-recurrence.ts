import { validationProblem } from '../../common/errors/api-problem.exception.js';
import { isKnownTimeZone } from '../time-zone.js';
import { checkRecurrence, nextOccurrence, RecurrenceRuleError, upcomingOccurrences, type Recurrence } from './recurrence-rule.js';

/** A task's recurrence as stored and answered: the rule, its zone, what it repeats from, and the series' start. */
export interface TaskRecurrence extends Recurrence {
  /** DTSTART: COUNT counts from here, and occurrences keep its wall-clock time in the zone. */
  startsAt: string;
}

/** A recurrence as a client sends it: `repeatFrom` defaults to `due`, `startsAt` to the task's due date. */
export interface RecurrenceInput {
  rule: string;
  timeZone: string;
  repeatFrom?: Recurrence['repeatFrom'];
  startsAt?: string;
}

type Instant = Date | string;
const toDate = (instant: Instant) => (typeof instant === 'string' ? new Date(instant) : instant);

/**
 * The recurrence a create or patch leaves the task with, checked against the due date it leaves:
 * `input` undefined keeps `current`'s, null stops it. A recurring task always has a due date, so
 * clearing the due date of one that keeps recurring is refused rather than dropping its rule.
 */
export function settledRecurrence(
  input: RecurrenceInput | null | undefined,
  dueDate: Instant | null,
  current: TaskRecurrence | null,
): TaskRecurrence | null {
  if (input === undefined) {
    if (current !== null && dueDate === null) {
      throw validationProblem([{ field: 'dueDate', message: 'a recurring task needs a dueDate: set recurrence to null to stop it first' }]);
    }
    return current;
  }
  if (input === null) {
    return null;
  }
  if (dueDate === null) {
    throw validationProblem([{ field: 'dueDate', message: 'a recurring task needs a dueDate' }]);
  }
  if (!isKnownTimeZone(input.timeZone)) {
    throw validationProblem([{ field: 'recurrence.timeZone', message: 'recurrence.timeZone must be an IANA time zone such as Europe/Paris' }]);
  }
  const startsAt = toDate(input.startsAt ?? dueDate);
  const repeatFrom = input.repeatFrom ?? 'due';
  try {
    const rule = checkRecurrence({ rule: input.rule, timeZone: input.timeZone, repeatFrom }, startsAt);
    return { rule, timeZone: input.timeZone, repeatFrom, startsAt: startsAt.toISOString() };
  } catch (error) {
    if (error instanceof RecurrenceRuleError) {
      throw validationProblem([{ field: 'recurrence.rule', message: `recurrence.rule: ${error.message}` }]);
    }
    throw error;
  }
}

/** A completed occurrence of a recurring task, as recorded when the task moves on to the next. */
export interface CompletedOccurrence {
  dueDate: Date;
  completedAt: Date;
}

/**
 * Where completing a recurring task takes it: the next due date after the current one (`due`) or
 * after the completion (`completion`), or after now as well with `skipMissed`. Undefined when the
 * task does not recur or its rule has ended: it then simply stays completed.
 */
export function advanceOnCompletion(
  task: { recurrence: TaskRecurrence | null; dueDate: Instant | null },
  completedAt: Date,
  skipMissed: boolean,
): { nextDueDate: Date; occurrence: CompletedOccurrence } | undefined {
  if (task.recurrence === null || task.dueDate === null) {
    return undefined;
  }
  const dueDate = toDate(task.dueDate);
  const from = task.recurrence.repeatFrom === 'due' ? dueDate : completedAt;
  const after = skipMissed && completedAt > from ? completedAt : from;
  const nextDueDate = nextOccurrence(task.recurrence, new Date(task.recurrence.startsAt), after);
  return nextDueDate === null ? undefined : { nextDueDate, occurrence: { dueDate, completedAt } };
}

/**
 * The next `count` due dates of a task without changing it: its current due date, then those its
 * rule gives after it (each occurrence taken as completed on time). None for a completed task.
 */
export function upcomingDueDates(task: { recurrence: TaskRecurrence | null; dueDate: Instant | null; status: string }, count: number): Date[] {
  if (task.dueDate === null || task.status === 'completed' || count < 1) {
    return [];
  }
  const dueDate = toDate(task.dueDate);
  const later = task.recurrence === null ? [] : upcomingOccurrences(task.recurrence, new Date(task.recurrence.startsAt), dueDate, count - 1);
  return [dueDate, ...later];
}
