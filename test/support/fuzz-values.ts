import fc from 'fast-check';
import type { Schema } from './openapi-contract.js';

/**
 * A value only known when the request is sent (a real id, the caller's password, a current
 * ETag), picked deterministically (`pick` modulo the candidates) from the database state.
 */
export type MarkerKind =
  | 'task' | 'category' | 'session' | 'otherTask' | 'otherCategory' | 'otherSession' | 'trashedTask' | 'otherTrashedTask' | 'webhook' | 'otherWebhook'
  | 'password' | 'loginName' | 'otherEmail' | 'otherUsername' | 'categoryName' | 'etag' | 'weakEtag'
  // Sharing. sharedCategory: one of the caller's categories with a member (one is made when none
  // is left); joinedCategory: another user's category the caller is a member of; sharedTask: a
  // task in one of those; self: the caller's id; memberId: a member of the category in the path
  // (else the fuzz member's id); otherUserId: a user with no role on the caller's categories;
  // incomingInvitation: a pending invitation to the caller (a fresh one when all were consumed);
  // outgoingInvitation: a pending invitation to the category in the path (made when it has none),
  // else one the caller sent; inviteeLogin: a login to invite (fuzz users, the caller, new addresses).
  | 'sharedCategory' | 'joinedCategory' | 'sharedTask' | 'self' | 'memberId' | 'otherUserId'
  | 'incomingInvitation' | 'outgoingInvitation' | 'inviteeLogin'
  // label: one of the caller's labels, in another spelling at times (a task with one is made when
  // none is left); otherLabel: a label only another user has.
  | 'label' | 'otherLabel'
  // earlierTask/laterTask: another live task of the list of the task in the path, placed before
  // or after it (the neighbours of a move).
  | 'earlierTask' | 'laterTask'
  // liveTask: one of the caller's tasks outside the trash (task: any of theirs, trashed ones too).
  | 'liveTask'
  // freshIdempotencyKey: an Idempotency-Key no earlier request sent.
  | 'freshIdempotencyKey';

export class Marker {
  constructor(
    readonly kind: MarkerKind,
    readonly pick: number,
  ) {}

  [fc.toStringMethod](): string {
    return `<${this.kind}#${this.pick}>`;
  }
}

export const marker = (kind: MarkerKind) => fc.nat({ max: 1_000 }).map((pick) => new Marker(kind, pick));

/** Fragments that broke (or could break) something somewhere: SQL, markup, odd Unicode, control characters. */
export const NASTY_FRAGMENTS = [
  "' OR 1=1 --", "'; drop table tasks; --", '" OR ""="', '1; select pg_sleep(5)', '%', '_', '\\', "'", '"',
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'javascript:alert(1)', '{{7*7}}', '${7*7}',
  '\u0000', 'a\u0000b', '\u0001\u001f\u007f', '\r\n', '\t', '\u202eevil\u202c', '\u200f\u05e9\u05dc\u05d5\u05dd', 'مرحبا',
  '😀', '👨‍👩‍👧‍👦', '❤️', '🏳️‍🌈', 'e\u0301', '\u0301', '\ufeff', '\u00a0', '\u2028', '\u3000', 'ǅ', 'ß', 'İ', 'ﬁ',
  '\ud800', '\udfff', '\udbff\udbff', 'Ω', '𝕳𝖊𝖑𝖑𝖔', '../../etc/passwd', '%00', '%zz', '\\u0000', 'null', 'undefined',
  'NaN', '-1', '1e309', '0x10', 'true', '[]', '{}', '__proto__', 'constructor', ' ', '   padded   ',
];

/** Strings that are not well-formed Unicode: the API must refuse them, never store them altered (U+FFFD). */
export const loneSurrogateString: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d'), fc.string({ maxLength: 10 }))
  .map(([before, lone, after]) => `${before}${lone}${after}`);

/** U+0130 (and friends) grow when lower-cased: "İ" becomes "i" + U+0307, so a length judged before lower-casing lies. */
export const growsWhenLowerCased: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('\u0130', 'İa', '\u0130@example.com'), fc.integer({ min: 1, max: 300 }))
  .map(([unit, n]) => unit.repeat(n));

/** 10k to 200k characters: past every maxLength, and past the 100 KiB body limit at the top end. */
export const hugeString = fc
  .tuple(fc.constantFrom('a', '😀', '\u0000', '❤️', "' OR 1=1 --", '<script>', 'é'), fc.integer({ min: 10_000, max: 200_000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_FRAGMENTS) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...NASTY_FRAGMENTS), { minLength: 2, maxLength: 6 }).map((parts) => parts.join('')) },
  // Repeated: a fragment counted as 1 character by the validator may be 2 code points in PostgreSQL.
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('❤️', '😀', 'e\u0301', '\ufeff', 'a', '\u0000'), fc.integer({ min: 50, max: 260 })).map(([unit, n]) => unit.repeat(n)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** RFC 3339 date-times, most ordinary, some at the edges of the 4-digit year with offsets. */
export const dateTime: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        year: fc.oneof(fc.integer({ min: 1, max: 9999 }), fc.constantFrom(1, 1969, 1970, 2038, 9999)),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.option(fc.integer({ min: 0, max: 59 })),
        fraction: fc.option(fc.stringMatching(/^[0-9]{1,6}$/)),
        offset: fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30, 45)).map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`)),
      })
      .map(({ year, month, day, hour, minute, second, fraction, offset }) => {
        const seconds = second === null ? '' : `:${pad(second)}${fraction === null ? '' : `.${fraction}`}`;
        return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}${seconds}${offset}`;
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom('9999-12-31T23:59:59-01:00', '9999-12-31T23:59:59.999999Z', '0001-01-01T00:00:00+01:00', '0001-01-01T00:00:00Z', '1970-01-01T00:00:00Z') },
);

export const INVALID_DATES = [
  '2024-02-30T00:00:00Z', '2023-02-29T12:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T23:60:00Z',
  '2024-01-01', '2024-01-01T00:00:00', '2024-01-01 00:00:00Z', 'tomorrow', '', 'NaN', '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z', '2024-01-01T00:00:00.1234567Z', '2024-01-01T00:00:00+24:00', '0000-01-01T00:00:00Z',
  '1e10', 'Invalid Date', '2024-W01-1T00:00:00Z', '2024-001T00:00:00Z', '２０２４-01-01T00:00:00Z',
];

export const email: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}@[a-z0-9-]{1,12}\.(com|org|io)$/) },
  { weight: 1, arbitrary: fc.emailAddress() },
  { weight: 1, arbitrary: fc.constantFrom('josé@example.com', 'user@exämple.com', 'Upper.Case@Example.COM', '  padded@example.com  ') },
);

// Recurrence: rules the API accepts, some it refuses (several a day, out-of-range parts), zones and junk.
const recurrenceRule = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('FREQ=DAILY', 'FREQ=WEEKLY;BYDAY=MO,WE,FR', 'FREQ=MONTHLY;BYDAY=-1FR', 'FREQ=MONTHLY;BYMONTHDAY=31', 'FREQ=YEARLY;COUNT=3', 'freq=daily;interval=2') },
  { weight: 1, arbitrary: fc.constantFrom('FREQ=HOURLY', 'FREQ=DAILY;BYHOUR=9', 'FREQ=MONTHLY;BYMONTHDAY=0', 'FREQ=DAILY;COUNT=1', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'RRULE:FREQ=DAILY') },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);
const timeZone = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('Europe/Paris', 'UTC', 'America/New_York', 'Asia/Kolkata') }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });

/** Generators for specific property names, tried before the schema-driven one. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

export const PROPERTY_HINTS: Hints = {
  categoryId: fc.oneof(
    { weight: 2, arbitrary: marker('category') },
    { weight: 1, arbitrary: marker('sharedCategory') },
    { weight: 1, arbitrary: marker('joinedCategory') },
    { weight: 1, arbitrary: marker('otherCategory') },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  // Subtasks: mostly one of the caller's tasks (in whatever list), shared or others' tasks, unknown ids, none.
  // null (top-level) most often: a random parent of the caller's is often in another list, so
  // bodies carrying one rarely pass, and patches must also get through.
  parentId: fc.oneof(
    { weight: 3, arbitrary: marker('task') },
    { weight: 1, arbitrary: marker('sharedTask') },
    { weight: 1, arbitrary: marker('otherTask') },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 8, arbitrary: fc.constant(null) },
  ),
  // The caller (always allowed), a member (allowed in a category they share), a stranger, nobody.
  assigneeId: fc.oneof(
    { weight: 2, arbitrary: marker('self') },
    { weight: 2, arbitrary: marker('memberId') },
    { weight: 1, arbitrary: marker('otherUserId') },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  // Move neighbours: mostly a task of the moved task's list; the caller's other tasks, shared or others' tasks, unknown ids.
  after: fc.oneof({ weight: 16, arbitrary: marker('earlierTask') }, { weight: 1, arbitrary: marker('task') }, { weight: 1, arbitrary: marker('sharedTask') }, { weight: 1, arbitrary: marker('otherTask') }, { weight: 1, arbitrary: fc.uuid() }),
  before: fc.oneof({ weight: 16, arbitrary: marker('laterTask') }, { weight: 1, arbitrary: marker('task') }, { weight: 1, arbitrary: marker('sharedTask') }, { weight: 1, arbitrary: marker('otherTask') }, { weight: 1, arbitrary: fc.uuid() }),
  rule: recurrenceRule,
  timeZone,
  // Null (no recurrence) most often: a rule needs a due date in the same body or on the task.
  recurrence: fc.oneof(
    { weight: 1, arbitrary: fc.record({ rule: recurrenceRule, timeZone, repeatFrom: fc.constantFrom('due', 'completion', 'start'), startsAt: dateTime }, { requiredKeys: ['rule', 'timeZone'] }) },
    { weight: 3, arbitrary: fc.constant(null) },
  ),
  password: fc.oneof(marker('password'), marker('password'), fc.string({ minLength: 8, maxLength: 40 })),
  currentPassword: fc.oneof(marker('password'), fc.string({ minLength: 8, maxLength: 40 })),
  login: fc.oneof(marker('loginName'), marker('loginName'), fc.string({ minLength: 1, maxLength: 30 }), growsWhenLowerCased),
  email: fc.oneof({ weight: 5, arbitrary: email }, { weight: 1, arbitrary: marker('otherEmail') }),
  username: fc.oneof({ weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{3,50}$/) }, { weight: 1, arbitrary: marker('otherUsername') }),
  name: fc.oneof({ weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 100 }) }, { weight: 1, arbitrary: marker('categoryName') }),
  // Webhooks: loopback only (WEBHOOK_ALLOW_PRIVATE is on in tests), so no delivery leaves the machine.
  url: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 65_535 }).map((port) => `http://127.0.0.1:${port}/fuzz`) },
    { weight: 1, arbitrary: fc.constantFrom('ftp://127.0.0.1/', 'http://user:pw@127.0.0.1/', 'not a url', '') },
  ),
  // POST /tasks/batch: its items are a $ref the schema-driven generator does not follow.
  operations: fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('create'), body: fc.record({ title: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,30}$/) }) }),
      fc.record({ op: fc.constantFrom('toggle', 'delete', 'restore'), id: fc.uuid() }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
};

/** POST /categories/{id}/invitations: `login` names fuzz users (members, strangers, the caller) more than it signs in. */
export const INVITATION_HINTS: Hints = {
  ...PROPERTY_HINTS,
  login: fc.oneof(
    { weight: 4, arbitrary: marker('inviteeLogin') },
    { weight: 1, arbitrary: email },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
    { weight: 1, arbitrary: growsWhenLowerCased },
  ),
};

function stringFor(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') return dateTime;
  if (schema.format === 'email') return email;
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = (schema.maxLength as number | undefined) ?? 1_000;
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength, maxLength: Math.min(maxLength, 60), unit: 'grapheme-ascii' }) },
    { weight: 2, arbitrary: fc.string({ minLength, maxLength: Math.min(maxLength, 60), unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.constantFrom('a'.repeat(maxLength), 'é'.repeat(maxLength), '😀'.repeat(maxLength), 'b'.repeat(Math.max(minLength, 1))) },
  );
}

/** A value the schema allows (markers stand for real ids and secrets). */
export function validValue(schema: Schema, hints: Hints = PROPERTY_HINTS, name?: string): fc.Arbitrary<unknown> {
  if (name && hints[name]) return hints[name];
  const base = ((): fc.Arbitrary<unknown> => {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    switch (schema.type) {
      case 'string': return stringFor(schema);
      case 'integer':
      case 'number': return fc.integer({ min: (schema.minimum as number | undefined) ?? -1_000_000, max: (schema.maximum as number | undefined) ?? 1_000_000 });
      case 'boolean': return fc.boolean();
      case 'array': return fc.array(validValue((schema.items as Schema | undefined) ?? {}, hints), { maxLength: 4 });
      case 'object': return validObject(schema, hints);
      default: return fc.jsonValue({ maxDepth: 2 });
    }
  })();
  return schema.nullable === true ? fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
}

export function validObject(schema: Schema, hints: Hints = PROPERTY_HINTS): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
  const model = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, validValue(property, hints, name)]));
  return fc.record(model, { requiredKeys: (schema.required as string[] | undefined) ?? [] }) as fc.Arbitrary<Record<string, unknown>>;
}

/**
 * Values of the wrong JSON type for a property of the given schema (null only where it is not
 * nullable). No NaN or Infinity: JSON.stringify sends them as null, a valid value where nullable.
 */
export function wrongTypeValue(schema: Schema): fc.Arbitrary<unknown> {
  const options: Array<fc.Arbitrary<unknown>> = [
    fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 }),
  ];
  const type = Array.isArray(schema.enum) ? 'string' : schema.type;
  const fitting = options.filter((_option, index) => !(type === 'number' || type === 'integer' ? index <= 1 : type === 'boolean' ? index === 2 : type === 'array' ? index === 3 : type === 'object' ? index === 4 : false));
  return schema.nullable === true ? fc.oneof(...fitting) : fc.oneof(...fitting, fc.constant(null));
}
