import { RRuleTemporal } from 'rrule-temporal';
import { Temporal } from 'temporal-polyfill';
import { isKnownTimeZone } from '../time-zone.js';

/**
 * Recurring tasks: an RFC 5545 RRULE value (`FREQ=WEEKLY;BYDAY=MO,WE`) read in an IANA time zone,
 * anchored at the task's due date. All calendar and time-zone work is rrule-temporal's; this file
 * only checks what a client may send and bounds the work a rule can cause.
 */
export type RepeatFrom = 'due' | 'completion';

export interface Recurrence {
  rule: string;
  timeZone: string;
  repeatFrom: RepeatFrom;
}

/** A rule, time zone or part a client sent that cannot be used; the message names what is wrong. */
export class RecurrenceRuleError extends Error {
  override name = 'RecurrenceRuleError';
}

export const MAX_UPCOMING = 50;
const MAX_RULE_LENGTH = 500;
const MAX_INTERVAL = 1000;
const MAX_COUNT = 1000;

type Frequency = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
const FREQUENCIES: readonly string[] = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] satisfies Frequency[];
const WEEKDAYS: readonly string[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/**
 * About ten years of periods of each FREQ. A rule can be valid and yet never match again (February
 * 30th, a BYSETPOS past the set); the library then walks period after period, up to 10,000 by
 * default, which costs seconds for a yearly rule in a zone with DST. Past this budget the series is
 * treated as ended.
 */
const PERIODS_IN_TEN_YEARS: Record<Frequency, number> = { DAILY: 3653, WEEKLY: 522, MONTHLY: 120, YEARLY: 10 };
/**
 * The library plans queries on its fast path only with maxIterations above 32 (and the default
 * maxCandidateEvaluations, which is why that one is left alone): 30 µs a call instead of 250 µs.
 */
const MIN_PERIODS = 33;

/** Says what is wrong with a part's value, naming the part, or nothing when it is fine. */
type ValueCheck = (value: string, name: string) => string | undefined;

const wholeNumber =
  (max: number): ValueCheck =>
  (value, name) =>
    /^\d{1,4}$/.test(value) && Number(value) >= 1 && Number(value) <= max ? undefined : `${name} must be a whole number from 1 to ${max}`;

/** A comma list of 1..max, or also -max..-1 (counted from the end) when `fromEnd`. */
const numberList =
  (max: number, fromEnd: boolean): ValueCheck =>
  (value, name) => {
    const range = fromEnd ? `1 to ${max} or -${max} to -1` : `1 to ${max}`;
    const bad = value.split(',').find((item) => {
      const number = Number(item);
      return !/^[+-]?\d{1,3}$/.test(item) || number === 0 || Math.abs(number) > max || (number < 0 && !fromEnd);
    });
    return bad === undefined ? undefined : `${name} "${bad}" is not in ${range}`;
  };

const weekdayList: ValueCheck = (value, name) => {
  const bad = value.split(',').find((item) => {
    const match = /^([+-]?)(\d{0,2})([A-Z]{2})$/.exec(item);
    if (!match || !WEEKDAYS.includes(match[3])) {
      return true;
    }
    const [, sign, position] = match;
    return position === '' ? sign !== '' : Number(position) < 1 || Number(position) > 53;
  });
  return bad === undefined ? undefined : `${name} "${bad}" is not a weekday (MO..SU), optionally after a position such as 1 or -1`;
};

/**
 * RFC 5545 wants a UTC date-time beside a zoned start; a plain date is accepted too and means
 * "through the end of that day in the rule's time zone" (the library's documented reading).
 */
const untilValue: ValueCheck = (value) => {
  if (!/^\d{8}$|^\d{8}T\d{6}Z$/.test(value)) {
    return 'UNTIL must be a UTC date-time like 20261231T235959Z or a date like 20261231';
  }
  try {
    Temporal.PlainDateTime.from(value.replace('Z', ''));
    return undefined;
  } catch {
    return `UNTIL ${value} is not a real date or time`;
  }
};

/**
 * Every part a rule may hold. The library ignores unknown parts and drops out-of-range values
 * without a word (BYMONTHDAY=32 silently becomes "no BYMONTHDAY"), so nothing reaches it unchecked.
 */
const PART_CHECKS = new Map<string, ValueCheck>([
  ['FREQ', (value) => (FREQUENCIES.includes(value) ? undefined : `FREQ=${value} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY`)],
  ['INTERVAL', wholeNumber(MAX_INTERVAL)],
  ['COUNT', wholeNumber(MAX_COUNT)],
  ['UNTIL', untilValue],
  ['BYDAY', weekdayList],
  ['BYMONTHDAY', numberList(31, true)],
  ['BYYEARDAY', numberList(366, true)],
  ['BYWEEKNO', numberList(53, true)],
  ['BYMONTH', numberList(12, false)],
  ['BYSETPOS', numberList(366, true)],
  ['WKST', (value) => (WEEKDAYS.includes(value) ? undefined : 'WKST must be a weekday: MO, TU, WE, TH, FR, SA or SU')],
]);

/** Several times a day is not a task's rhythm, and these parts multiply the candidates per period. */
const TIME_OF_DAY_PARTS = new Set(['BYHOUR', 'BYMINUTE', 'BYSECOND']);

/** The rule's parts, upper-cased, in the order given; throws on anything not fit to evaluate. */
function readParts(rule: string): Map<string, string> {
  if (rule.trim() === '') {
    throw new RecurrenceRuleError('rule is empty: give an RRULE value such as FREQ=WEEKLY;BYDAY=MO');
  }
  if (rule.length > MAX_RULE_LENGTH) {
    throw new RecurrenceRuleError(`rule is longer than ${MAX_RULE_LENGTH} characters`);
  }
  if (/[\r\n]/.test(rule)) {
    throw new RecurrenceRuleError('rule must be a single RRULE value on one line, without DTSTART or other lines');
  }
  const text = rule.trim().toUpperCase();
  if (/^(RRULE|DTSTART|EXRULE|RDATE|EXDATE)[:;]/.test(text)) {
    throw new RecurrenceRuleError('rule must be the RRULE value only (FREQ=...), without an "RRULE:" or "DTSTART" prefix');
  }
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    const match = /^([A-Z]+)=([^=]+)$/.exec(part);
    if (!match) {
      throw new RecurrenceRuleError(`rule part "${part}" is not NAME=VALUE`);
    }
    const [, name, value] = match;
    const check = PART_CHECKS.get(name);
    if (!check) {
      throw new RecurrenceRuleError(
        TIME_OF_DAY_PARTS.has(name) ? `${name} is not supported: the time of day comes from the due date` : `unknown rule part ${name}`,
      );
    }
    if (parts.has(name)) {
      throw new RecurrenceRuleError(`${name} appears more than once`);
    }
    const problem = check(value, name);
    if (problem) {
      throw new RecurrenceRuleError(problem);
    }
    parts.set(name, value);
  }
  if (!parts.has('FREQ')) {
    throw new RecurrenceRuleError('FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)');
  }
  if (parts.has('COUNT') && parts.has('UNTIL')) {
    throw new RecurrenceRuleError('COUNT and UNTIL cannot be used together');
  }
  return parts;
}

/** Zones already accepted, lower-cased: each check builds an Intl formatter (about 90 µs). */
const knownTimeZones = new Set<string>();

function checkTimeZone(timeZone: string): void {
  if (knownTimeZones.has(timeZone.toLowerCase())) {
    return;
  }
  if (!isKnownTimeZone(timeZone)) {
    throw new RecurrenceRuleError(`unknown time zone "${timeZone}": use an IANA name such as Europe/Paris`);
  }
  knownTimeZones.add(timeZone.toLowerCase());
}

interface SeriesOptions {
  /** RFC 5545: the start always counts as the first occurrence, even off the pattern. */
  anchorIsOccurrence: boolean;
  strict?: boolean;
}

/** The library's series starting at `anchor`'s wall-clock date and time in `timeZone`. */
function seriesFrom(parts: Map<string, string>, timeZone: string, anchor: Date, options: SeriesOptions): RRuleTemporal {
  const start = Temporal.Instant.fromEpochMilliseconds(anchor.getTime()).toZonedDateTimeISO(timeZone);
  const periods = Math.ceil(PERIODS_IN_TEN_YEARS[parts.get('FREQ') as Frequency] / Number(parts.get('INTERVAL') ?? 1));
  try {
    return new RRuleTemporal({
      rruleString: [...parts].map(([name, value]) => `${name}=${value}`).join(';'),
      dtstart: start,
      includeDtstart: options.anchorIsOccurrence,
      strict: options.strict ?? false,
      // A COUNT series is walked from the anchor, so it also gets one period per occurrence it may use.
      maxIterations: Math.max(periods + Number(parts.get('COUNT') ?? 0), MIN_PERIODS),
    });
  } catch (error) {
    throw new RecurrenceRuleError(`rule is not valid: ${(error as Error).message}`);
  }
}

/** Runs a query; the library throws when its search budget runs out, which means the series has ended. */
function withinBudget<T>(query: () => T, ended: T): T {
  try {
    return query();
  } catch (error) {
    if (error instanceof Error && /^Maximum (iterations|candidate evaluations)/.test(error.message)) {
      return ended;
    }
    throw error;
  }
}

/** `next()` jumps straight to `after`, however old the anchor. */
function jumpToAfter(series: RRuleTemporal, after: Date, count: number): Date[] {
  const found: Date[] = [];
  withinBudget(() => {
    while (found.length < count) {
      const next = series.next(found.at(-1) ?? after);
      if (!next) {
        return;
      }
      found.push(new Date(next.epochMilliseconds));
    }
  }, undefined);
  return found;
}

/** One walk from the anchor: with includeDtstart, each `next()` would walk from the anchor again. */
function walkFromAnchor(series: RRuleTemporal, after: Date, count: number): Date[] {
  const found: Date[] = [];
  withinBudget(
    () =>
      series.all((occurrence) => {
        if (occurrence.epochMilliseconds > after.getTime()) {
          found.push(new Date(occurrence.epochMilliseconds));
        }
        return found.length < count;
      }),
    [],
  );
  return found;
}

/** The next `count` (at most MAX_UPCOMING) occurrences strictly after `after`; fewer if the rule ends. */
export function upcomingOccurrences(recurrence: Recurrence, anchor: Date, after: Date, count: number): Date[] {
  const parts = readParts(recurrence.rule);
  checkTimeZone(recurrence.timeZone);
  const limit = Math.min(count, MAX_UPCOMING);
  const series = seriesFrom(parts, recurrence.timeZone, anchor, { anchorIsOccurrence: false });
  if (limit < 1) {
    return [];
  }
  // An anchor off the pattern still counts as the first occurrence. The library's includeDtstart
  // does that but leaves its fast path (30 µs a call becomes 0.1 to 40 ms), so it is used only where it
  // changes the answer: for COUNT, or for a query that starts before the anchor.
  const anchorMustBeAdded = (parts.has('COUNT') || after < anchor) && !withinBudget(() => series.matches(anchor), false);
  return anchorMustBeAdded
    ? walkFromAnchor(seriesFrom(parts, recurrence.timeZone, anchor, { anchorIsOccurrence: true }), after, limit)
    : jumpToAfter(series, after, limit);
}

/** The first occurrence strictly after `after` of the series that starts at `anchor`; null past its end. */
export function nextOccurrence(recurrence: Recurrence, anchor: Date, after: Date): Date | null {
  return upcomingOccurrences(recurrence, anchor, after, 1)[0] ?? null;
}

/**
 * Checks a rule a client sent and returns it normalised (upper case, the library's part order).
 * `anchor` is the due date it will start from: a rule with no occurrence after it (February 30th,
 * an UNTIL already past, COUNT=1) is refused, since the task would never come back.
 */
export function checkRecurrence(recurrence: Recurrence, anchor: Date = new Date()): string {
  const parts = readParts(recurrence.rule);
  checkTimeZone(recurrence.timeZone);
  // Strict mode knows RFC 5545's forbidden pairs (BYSETPOS alone, BYMONTHDAY with WEEKLY...), but it
  // also refuses a date UNTIL beside a zoned start, which is accepted here on purpose.
  const withoutUntil = new Map([...parts].filter(([name]) => name !== 'UNTIL'));
  seriesFrom(withoutUntil, recurrence.timeZone, anchor, { anchorIsOccurrence: false, strict: true });
  if (nextOccurrence(recurrence, anchor, anchor) === null) {
    throw new RecurrenceRuleError(`rule yields no occurrence after ${anchor.toISOString()} within the search horizon (about ten years)`);
  }
  const series = seriesFrom(parts, recurrence.timeZone, anchor, { anchorIsOccurrence: false });
  const ruleLine = series.toString().split('\n').find((line) => line.startsWith('RRULE:'));
  return ruleLine!.slice('RRULE:'.length);
}
