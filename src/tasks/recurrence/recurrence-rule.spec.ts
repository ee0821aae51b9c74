import { checkRecurrence, MAX_UPCOMING, nextOccurrence, type Recurrence, RecurrenceRuleError, upcomingOccurrences } from './recurrence-rule.js';

const iso = (instant: string | Date) => new Date(instant).toISOString();
const recurrence = (rule: string, timeZone = 'UTC'): Recurrence => ({ rule, timeZone, repeatFrom: 'due' });

interface SeriesCase {
  name: string;
  rule: string;
  timeZone: string;
  anchor: string;
  /** Defaults to the anchor: what comes after the task's current due date. */
  after?: string;
  expected: string[];
  /** The rule ends after `expected`: asking for more gives no more. */
  ends?: boolean;
}

// RFC 5545 section 3.8.5.3, all at DTSTART 09:00 America/New_York: 13:00Z under EDT, 14:00Z under
// EST (1997: EDT until October 26; 1998: EDT from April 5). The DTSTART itself is the anchor, so it
// is not listed: the lists are what comes strictly after it, and COUNT counts it.
const rfcExamples: SeriesCase[] = [
  { name: 'daily for 10 occurrences', rule: 'FREQ=DAILY;COUNT=10', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z', ends: true,
    expected: ['1997-09-03T13:00Z', '1997-09-04T13:00Z', '1997-09-05T13:00Z', '1997-09-06T13:00Z', '1997-09-07T13:00Z', '1997-09-08T13:00Z', '1997-09-09T13:00Z', '1997-09-10T13:00Z', '1997-09-11T13:00Z'] },
  { name: 'daily until December 24, 1997: the last days', rule: 'FREQ=DAILY;UNTIL=19971224T000000Z', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z', after: '1997-12-20T00:00Z', ends: true,
    expected: ['1997-12-20T14:00Z', '1997-12-21T14:00Z', '1997-12-22T14:00Z', '1997-12-23T14:00Z'] },
  { name: 'daily until December 24, 1997: across the end of DST', rule: 'FREQ=DAILY;UNTIL=19971224T000000Z', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z', after: '1997-10-24T12:00Z',
    expected: ['1997-10-24T13:00Z', '1997-10-25T13:00Z', '1997-10-26T14:00Z'] },
  { name: 'every other day, across the end of DST', rule: 'FREQ=DAILY;INTERVAL=2', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z', after: '1997-10-21T00:00Z',
    expected: ['1997-10-22T13:00Z', '1997-10-24T13:00Z', '1997-10-26T14:00Z', '1997-10-28T14:00Z'] },
  { name: 'every 10 days, 5 occurrences', rule: 'FREQ=DAILY;INTERVAL=10;COUNT=5', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z', ends: true,
    expected: ['1997-09-12T13:00Z', '1997-09-22T13:00Z', '1997-10-02T13:00Z', '1997-10-12T13:00Z'] },
  { name: 'weekly for 10 occurrences', rule: 'FREQ=WEEKLY;COUNT=10', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z', ends: true,
    expected: ['1997-09-09T13:00Z', '1997-09-16T13:00Z', '1997-09-23T13:00Z', '1997-09-30T13:00Z', '1997-10-07T13:00Z', '1997-10-14T13:00Z', '1997-10-21T13:00Z', '1997-10-28T14:00Z', '1997-11-04T14:00Z'] },
  { name: 'every other week on MO, WE, FR until December 24, 1997', rule: 'FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR', timeZone: 'America/New_York', anchor: '1997-09-01T13:00Z', ends: true,
    expected: [
      '1997-09-03T13:00Z', '1997-09-05T13:00Z', '1997-09-15T13:00Z', '1997-09-17T13:00Z', '1997-09-19T13:00Z', '1997-09-29T13:00Z',
      '1997-10-01T13:00Z', '1997-10-03T13:00Z', '1997-10-13T13:00Z', '1997-10-15T13:00Z', '1997-10-17T13:00Z',
      '1997-10-27T14:00Z', '1997-10-29T14:00Z', '1997-10-31T14:00Z', '1997-11-10T14:00Z', '1997-11-12T14:00Z', '1997-11-14T14:00Z',
      '1997-11-24T14:00Z', '1997-11-26T14:00Z', '1997-11-28T14:00Z', '1997-12-08T14:00Z', '1997-12-10T14:00Z', '1997-12-12T14:00Z', '1997-12-22T14:00Z',
    ] },
  { name: 'monthly on the first Friday for 10 occurrences', rule: 'FREQ=MONTHLY;COUNT=10;BYDAY=1FR', timeZone: 'America/New_York', anchor: '1997-09-05T13:00Z', ends: true,
    expected: ['1997-10-03T13:00Z', '1997-11-07T14:00Z', '1997-12-05T14:00Z', '1998-01-02T14:00Z', '1998-02-06T14:00Z', '1998-03-06T14:00Z', '1998-04-03T14:00Z', '1998-05-01T13:00Z', '1998-06-05T13:00Z'] },
  { name: 'every other month on the first and last Sunday, 10 occurrences', rule: 'FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU', timeZone: 'America/New_York', anchor: '1997-09-07T13:00Z', ends: true,
    expected: ['1997-09-28T13:00Z', '1997-11-02T14:00Z', '1997-11-30T14:00Z', '1998-01-04T14:00Z', '1998-01-25T14:00Z', '1998-03-01T14:00Z', '1998-03-29T14:00Z', '1998-05-03T13:00Z', '1998-05-31T13:00Z'] },
  { name: 'monthly on the second-to-last Monday for 6 months', rule: 'FREQ=MONTHLY;COUNT=6;BYDAY=-2MO', timeZone: 'America/New_York', anchor: '1997-09-22T13:00Z', ends: true,
    expected: ['1997-10-20T13:00Z', '1997-11-17T14:00Z', '1997-12-22T14:00Z', '1998-01-19T14:00Z', '1998-02-16T14:00Z'] },
  { name: 'monthly on the third-to-the-last day', rule: 'FREQ=MONTHLY;BYMONTHDAY=-3', timeZone: 'America/New_York', anchor: '1997-09-28T13:00Z',
    expected: ['1997-10-29T14:00Z', '1997-11-28T14:00Z', '1997-12-29T14:00Z', '1998-01-29T14:00Z', '1998-02-26T14:00Z'] },
  { name: 'monthly on the 2nd and 15th for 10 occurrences', rule: 'FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z', ends: true,
    expected: ['1997-09-15T13:00Z', '1997-10-02T13:00Z', '1997-10-15T13:00Z', '1997-11-02T14:00Z', '1997-11-15T14:00Z', '1997-12-02T14:00Z', '1997-12-15T14:00Z', '1998-01-02T14:00Z', '1998-01-15T14:00Z'] },
  { name: 'monthly on the first and last day (1,-1) for 10 occurrences', rule: 'FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1', timeZone: 'America/New_York', anchor: '1997-09-30T13:00Z', ends: true,
    expected: ['1997-10-01T13:00Z', '1997-10-31T14:00Z', '1997-11-01T14:00Z', '1997-11-30T14:00Z', '1997-12-01T14:00Z', '1997-12-31T14:00Z', '1998-01-01T14:00Z', '1998-01-31T14:00Z', '1998-02-01T14:00Z'] },
  { name: 'every Tuesday, every other month', rule: 'FREQ=MONTHLY;INTERVAL=2;BYDAY=TU', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z',
    expected: ['1997-09-09T13:00Z', '1997-09-16T13:00Z', '1997-09-23T13:00Z', '1997-09-30T13:00Z', '1997-11-04T14:00Z', '1997-11-11T14:00Z', '1997-11-18T14:00Z', '1997-11-25T14:00Z', '1998-01-06T14:00Z'] },
  { name: 'yearly in June and July for 10 occurrences', rule: 'FREQ=YEARLY;COUNT=10;BYMONTH=6,7', timeZone: 'America/New_York', anchor: '1997-06-10T13:00Z', ends: true,
    expected: ['1997-07-10T13:00Z', '1998-06-10T13:00Z', '1998-07-10T13:00Z', '1999-06-10T13:00Z', '1999-07-10T13:00Z', '2000-06-10T13:00Z', '2000-07-10T13:00Z', '2001-06-10T13:00Z', '2001-07-10T13:00Z'] },
  { name: 'every third year on the 1st, 100th and 200th day for 10 occurrences', rule: 'FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200', timeZone: 'America/New_York', anchor: '1997-01-01T14:00Z', ends: true,
    expected: ['1997-04-10T13:00Z', '1997-07-19T13:00Z', '2000-01-01T14:00Z', '2000-04-09T13:00Z', '2000-07-18T13:00Z', '2003-01-01T14:00Z', '2003-04-10T13:00Z', '2003-07-19T13:00Z', '2006-01-01T14:00Z'] },
  { name: 'every 20th Monday of the year', rule: 'FREQ=YEARLY;BYDAY=20MO', timeZone: 'America/New_York', anchor: '1997-05-19T13:00Z',
    expected: ['1998-05-18T13:00Z', '1999-05-17T13:00Z'] },
  { name: 'Monday of week number 20', rule: 'FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO', timeZone: 'America/New_York', anchor: '1997-05-12T13:00Z',
    expected: ['1998-05-11T13:00Z', '1999-05-17T13:00Z'] },
  { name: 'every Thursday in March', rule: 'FREQ=YEARLY;BYMONTH=3;BYDAY=TH', timeZone: 'America/New_York', anchor: '1997-03-13T14:00Z',
    expected: ['1997-03-20T14:00Z', '1997-03-27T14:00Z', '1998-03-05T14:00Z', '1998-03-12T14:00Z', '1998-03-19T14:00Z', '1998-03-26T14:00Z', '1999-03-04T14:00Z'] },
  { name: 'every Friday the 13th', rule: 'FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13', timeZone: 'America/New_York', anchor: '1997-09-02T13:00Z',
    expected: ['1998-02-13T14:00Z', '1998-03-13T14:00Z', '1998-11-13T14:00Z', '1999-08-13T13:00Z', '2000-10-13T13:00Z'] },
  { name: 'the first Saturday that follows the first Sunday of the month', rule: 'FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13', timeZone: 'America/New_York', anchor: '1997-09-13T13:00Z',
    expected: ['1997-10-11T13:00Z', '1997-11-08T14:00Z', '1997-12-13T14:00Z', '1998-01-10T14:00Z', '1998-02-07T14:00Z', '1998-03-07T14:00Z', '1998-04-11T13:00Z', '1998-05-09T13:00Z', '1998-06-13T13:00Z'] },
  { name: 'US presidential election day, every 4 years', rule: 'FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8', timeZone: 'America/New_York', anchor: '1996-11-05T14:00Z',
    expected: ['2000-11-07T14:00Z', '2004-11-02T14:00Z', '2008-11-04T14:00Z', '2012-11-06T14:00Z', '2016-11-08T14:00Z', '2020-11-03T14:00Z', '2024-11-05T14:00Z'] },
  { name: 'the third instance of TU, WE or TH in the month, for 3 months (BYSETPOS=3)', rule: 'FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3', timeZone: 'America/New_York', anchor: '1997-09-04T13:00Z', ends: true,
    expected: ['1997-10-07T13:00Z', '1997-11-06T14:00Z'] },
  { name: 'the second-to-last weekday of the month (BYSETPOS=-2)', rule: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2', timeZone: 'America/New_York', anchor: '1997-09-29T13:00Z',
    expected: ['1997-10-30T14:00Z', '1997-11-27T14:00Z', '1997-12-30T14:00Z', '1998-01-29T14:00Z', '1998-02-26T14:00Z', '1998-03-30T14:00Z'] },
];

const zonedSeries: SeriesCase[] = [
  { name: 'the 31st of every month skips short months (09:00 Asia/Kolkata, UTC+5:30)', rule: 'FREQ=MONTHLY;BYMONTHDAY=31', timeZone: 'Asia/Kolkata', anchor: '2026-01-31T03:30Z',
    expected: ['2026-03-31T03:30Z', '2026-05-31T03:30Z', '2026-07-31T03:30Z', '2026-08-31T03:30Z', '2026-10-31T03:30Z', '2026-12-31T03:30Z'] },
  { name: 'last Friday of the month, across the end of DST in Sydney (April 5)', rule: 'FREQ=MONTHLY;BYDAY=-1FR', timeZone: 'Australia/Sydney', anchor: '2026-01-29T22:00Z',
    expected: ['2026-02-26T22:00Z', '2026-03-26T22:00Z', '2026-04-23T23:00Z', '2026-05-28T23:00Z'] },
  { name: 'every third day at 09:00 Sydney across the end of DST', rule: 'FREQ=DAILY;INTERVAL=3', timeZone: 'Australia/Sydney', anchor: '2026-04-01T22:00Z',
    expected: ['2026-04-04T23:00Z', '2026-04-07T23:00Z'] },
  { name: 'daily 09:00 Paris across the start of summer time (March 29, 2026)', rule: 'FREQ=DAILY', timeZone: 'Europe/Paris', anchor: '2026-03-27T08:00Z',
    expected: ['2026-03-28T08:00Z', '2026-03-29T07:00Z', '2026-03-30T07:00Z'] },
  { name: 'daily 09:00 Paris across the end of summer time (October 25, 2026)', rule: 'FREQ=DAILY', timeZone: 'Europe/Paris', anchor: '2026-10-23T07:00Z',
    expected: ['2026-10-24T07:00Z', '2026-10-25T08:00Z', '2026-10-26T08:00Z'] },
  // RFC 5545 3.3.10: a local time that does not exist is not an occurrence (02:30 on March 8 in New York).
  { name: 'daily 02:30 New York skips the day the clocks jump over it', rule: 'FREQ=DAILY', timeZone: 'America/New_York', anchor: '2026-03-07T07:30Z',
    expected: ['2026-03-09T06:30Z', '2026-03-10T06:30Z'] },
  { name: 'daily 01:30 New York takes the first of the two 01:30s when the clocks fall back', rule: 'FREQ=DAILY', timeZone: 'America/New_York', anchor: '2026-10-31T05:30Z',
    expected: ['2026-11-01T05:30Z', '2026-11-02T06:30Z'] },
  { name: 'weekly MO, WE at 18:00 New York, across the start of DST', rule: 'FREQ=WEEKLY;BYDAY=MO,WE', timeZone: 'America/New_York', anchor: '2026-03-02T23:00Z',
    expected: ['2026-03-04T23:00Z', '2026-03-09T22:00Z', '2026-03-11T22:00Z'] },
  { name: 'Mondays 01:30 in Kolkata fall on Sundays in UTC', rule: 'FREQ=WEEKLY;BYDAY=MO', timeZone: 'Asia/Kolkata', anchor: '2026-05-10T20:00Z',
    expected: ['2026-05-17T20:00Z', '2026-05-24T20:00Z'] },
  { name: 'last work day of the month (BYSETPOS=-1) in Paris', rule: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', timeZone: 'Europe/Paris', anchor: '2026-01-30T16:00Z',
    expected: ['2026-02-27T16:00Z', '2026-03-31T15:00Z', '2026-04-30T15:00Z', '2026-05-29T15:00Z'] },
  { name: 'yearly from February 29 skips the years without one', rule: 'FREQ=YEARLY', timeZone: 'UTC', anchor: '2024-02-29T12:00Z',
    expected: ['2028-02-29T12:00Z', '2032-02-29T12:00Z'] },
  { name: 'an anchor years back: the rule jumps to the query (Los Angeles)', rule: 'FREQ=MONTHLY;BYMONTHDAY=15', timeZone: 'America/Los_Angeles', anchor: '2020-01-15T17:00Z', after: '2030-06-01T00:00Z',
    expected: ['2030-06-15T16:00Z', '2030-07-15T16:00Z'] },
  { name: 'an anchor twelve years back: the search horizon starts at the query, not the anchor', rule: 'FREQ=DAILY', timeZone: 'Europe/Paris', anchor: '2014-01-10T08:00Z', after: '2026-07-01T00:00Z',
    expected: ['2026-07-01T07:00Z', '2026-07-02T07:00Z'] },
  { name: 'a query before the anchor starts with the anchor itself', rule: 'FREQ=DAILY', timeZone: 'UTC', anchor: '2026-01-05T09:00Z', after: '2026-01-01T00:00Z',
    expected: ['2026-01-05T09:00Z', '2026-01-06T09:00Z'] },
];

const endingSeries: SeriesCase[] = [
  { name: 'COUNT: the last one', rule: 'FREQ=DAILY;COUNT=3', timeZone: 'UTC', anchor: '2026-01-01T09:00Z', after: '2026-01-02T12:00Z', ends: true,
    expected: ['2026-01-03T09:00Z'] },
  { name: 'COUNT: nothing after the last one', rule: 'FREQ=DAILY;COUNT=3', timeZone: 'UTC', anchor: '2026-01-01T09:00Z', after: '2026-01-03T09:00Z', ends: true,
    expected: [] },
  { name: 'COUNT counts an anchor off the pattern as the first occurrence', rule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=3', timeZone: 'UTC', anchor: '2026-01-07T09:00Z', ends: true,
    expected: ['2026-01-12T09:00Z', '2026-01-19T09:00Z'] },
  { name: 'UNTIL as a UTC date-time is inclusive', rule: 'FREQ=WEEKLY;UNTIL=20260115T090000Z', timeZone: 'UTC', anchor: '2026-01-01T09:00Z', ends: true,
    expected: ['2026-01-08T09:00Z', '2026-01-15T09:00Z'] },
  // 20:00 in New York is 01:00Z the next day: a date UNTIL is the end of that day in the rule's zone, not in UTC.
  { name: 'UNTIL as a date runs through that day in the rule time zone', rule: 'FREQ=DAILY;UNTIL=20260110', timeZone: 'America/New_York', anchor: '2026-01-09T01:00Z', ends: true,
    expected: ['2026-01-10T01:00Z', '2026-01-11T01:00Z'] },
  { name: 'a leap day every 4 years from a year that is not leap never comes', rule: 'FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29', timeZone: 'UTC', anchor: '2025-01-01T00:00Z', ends: true,
    expected: [] },
  { name: 'February 30 never comes', rule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', timeZone: 'Europe/Paris', anchor: '2026-01-01T08:00Z', ends: true,
    expected: [] },
];

describe('upcomingOccurrences and nextOccurrence', () => {
  it.each([...rfcExamples, ...zonedSeries, ...endingSeries])('$name: $rule', ({ rule, timeZone, anchor, after, expected, ends }) => {
    const asked = ends ? expected.length + 3 : expected.length;
    const from = new Date(after ?? anchor);
    expect(upcomingOccurrences(recurrence(rule, timeZone), new Date(anchor), from, asked).map(iso)).toEqual(expected.map(iso));
    expect(nextOccurrence(recurrence(rule, timeZone), new Date(anchor), from)).toEqual(expected.length ? new Date(expected[0]) : null);
  });

  it(`gives at most ${MAX_UPCOMING}, and none when asked for none`, () => {
    const daily = recurrence('FREQ=DAILY');
    const anchor = new Date('2026-01-01T09:00Z');
    expect(upcomingOccurrences(daily, anchor, anchor, 500)).toHaveLength(MAX_UPCOMING);
    expect(upcomingOccurrences(daily, anchor, anchor, 0)).toEqual([]);
  });

  it('gives up quickly on a rule that never matches again, where the library alone walks for seconds', () => {
    const started = performance.now();
    expect(nextOccurrence(recurrence('FREQ=YEARLY;BYDAY=MO;BYSETPOS=60', 'Europe/Paris'), new Date('2026-01-05T08:00Z'), new Date('2026-01-05T08:00Z'))).toBeNull();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('answers a common rule in well under a millisecond', () => {
    const lastFriday = recurrence('FREQ=MONTHLY;BYDAY=-1FR', 'Europe/Paris');
    const anchor = new Date('2026-01-30T08:00Z');
    const next = () => nextOccurrence(lastFriday, anchor, new Date('2026-06-01T00:00Z'));
    expect(next()).toEqual(new Date('2026-06-26T07:00Z'));
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      next();
    }
    expect((performance.now() - started) / 200).toBeLessThan(1);
  });

  it('refuses a stored rule that is not valid rather than guessing', () => {
    const anchor = new Date('2026-01-01T09:00Z');
    expect(() => nextOccurrence(recurrence('FREQ=MONTHLY;BYMONTHDAY=32'), anchor, anchor)).toThrow(RecurrenceRuleError);
    expect(() => upcomingOccurrences(recurrence('FREQ=DAILY', 'Nowhere/City'), anchor, anchor, 3)).toThrow(RecurrenceRuleError);
  });
});

describe('checkRecurrence', () => {
  const anchor = new Date('2026-01-01T09:00Z');

  it.each([
    ['freq=weekly;byday=mo,we', 'UTC', 'FREQ=WEEKLY;BYDAY=MO,WE'],
    ['  FREQ=DAILY  ', 'UTC', 'FREQ=DAILY'],
    ['BYDAY=MO;INTERVAL=1;FREQ=WEEKLY', 'UTC', 'FREQ=WEEKLY;BYDAY=MO'],
    ['FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=2;COUNT=5', 'Australia/Sydney', 'FREQ=MONTHLY;INTERVAL=2;COUNT=5;BYDAY=-1FR'],
    // The end of December 31 in Paris (UTC+1), as RFC 5545 wants UNTIL beside a zoned start.
    ['FREQ=DAILY;UNTIL=20261231', 'Europe/Paris', 'FREQ=DAILY;UNTIL=20261231T225959Z'],
    ['FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8', 'America/New_York', 'FREQ=YEARLY;INTERVAL=4;BYDAY=TU;BYMONTH=11;BYMONTHDAY=2,3,4,5,6,7,8'],
  ])('accepts %j in %s as %j', (rule, timeZone, normalised) => {
    expect(checkRecurrence(recurrence(rule, timeZone), anchor)).toBe(normalised);
  });

  it.each([
    ['', 'UTC', /rule is empty/],
    ['FREQ=DAILY;COUNT', 'UTC', /rule part "COUNT" is not NAME=VALUE/],
    ['FREQ=DAILY; COUNT=3', 'UTC', /rule part " COUNT=3" is not NAME=VALUE/],
    ['FREQ=HOURLY', 'UTC', /FREQ=HOURLY is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY/],
    ['FREQ=DAILY', 'Mars/Olympus_Mons', /unknown time zone "Mars\/Olympus_Mons"/],
    ['FREQ=DAILY', '+01:00', /unknown time zone "\+01:00"/],
    ['FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z', 'UTC', /COUNT and UNTIL cannot be used together/],
    ['FREQ=DAILY;FOO=1', 'UTC', /unknown rule part FOO/],
    ['FREQ=DAILY;BYHOUR=9', 'UTC', /BYHOUR is not supported: the time of day comes from the due date/],
    ['FREQ=DAILY;INTERVAL=0', 'UTC', /INTERVAL must be a whole number from 1 to 1000/],
    ['FREQ=DAILY;INTERVAL=1001', 'UTC', /INTERVAL must be a whole number from 1 to 1000/],
    ['FREQ=DAILY;COUNT=0', 'UTC', /COUNT must be a whole number from 1 to 1000/],
    ['FREQ=DAILY;FREQ=WEEKLY', 'UTC', /FREQ appears more than once/],
    ['COUNT=3', 'UTC', /FREQ is required/],
    ['RRULE:FREQ=DAILY', 'UTC', /without an "RRULE:" or "DTSTART" prefix/],
    ['DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY', 'UTC', /one line/],
    ['FREQ=MONTHLY;BYMONTHDAY=32', 'UTC', /BYMONTHDAY "32" is not in 1 to 31 or -31 to -1/],
    ['FREQ=YEARLY;BYMONTH=-1', 'UTC', /BYMONTH "-1" is not in 1 to 12/],
    ['FREQ=MONTHLY;BYDAY=0MO', 'UTC', /BYDAY "0MO" is not a weekday/],
    ['FREQ=WEEKLY;WKST=XX', 'UTC', /WKST must be a weekday/],
    ['FREQ=DAILY;UNTIL=20270101T090000', 'UTC', /UNTIL must be a UTC date-time like 20261231T235959Z or a date like 20261231/],
    ['FREQ=DAILY;UNTIL=20270230', 'UTC', /UNTIL 20270230 is not a real date or time/],
    ['FREQ=DAILY;BYDAY=1MO', 'UTC', /BYDAY with numeric value MUST NOT be used unless FREQ is MONTHLY or YEARLY/],
    ['FREQ=WEEKLY;BYMONTHDAY=1', 'UTC', /BYMONTHDAY MUST NOT be used when FREQ is WEEKLY/],
    ['FREQ=MONTHLY;BYSETPOS=1', 'UTC', /BYSETPOS MUST be used with another BYxxx rule part/],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'UTC', /rule yields no occurrence after 2026-01-01T09:00:00.000Z/],
    ['FREQ=DAILY;UNTIL=20251231', 'UTC', /rule yields no occurrence after/],
    ['FREQ=DAILY;COUNT=1', 'UTC', /rule yields no occurrence after/],
  ])('refuses %j in %s', (rule, timeZone, message) => {
    const check = () => checkRecurrence(recurrence(rule, timeZone), anchor);
    expect(check).toThrow(RecurrenceRuleError);
    expect(check).toThrow(message);
  });

  it('refuses a rule longer than 500 characters', () => {
    const check = () => checkRecurrence(recurrence(`FREQ=MONTHLY;BYMONTHDAY=${'1,'.repeat(250)}2`), anchor);
    expect(check).toThrow(RecurrenceRuleError);
    expect(check).toThrow('rule is longer than 500 characters');
  });
});
