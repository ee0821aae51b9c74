import fc from 'fast-check';
import type { Schema } from './openapi-contract.js';
import { MAX_JSON_DEPTH } from '../../src/common/json-body.js';
import { growsWhenLowerCased, hugeString, INVALID_DATES, loneSurrogateString, nastyString, PROPERTY_HINTS, validObject, wrongTypeValue, type Hints } from './fuzz-values.js';

/** A body as sent: a JSON value (markers resolved at send time) or raw text, and its content type. */
export interface BodyCase {
  kind: string;
  /** The property the mutation is about. */
  field?: string;
  value?: unknown;
  /** Sent verbatim, so `__proto__` keys and broken JSON survive. */
  text?: string;
  /** undefined: application/json; null: no content-type header at all. */
  contentType?: string | null;
  /** What makes it invalid whatever the values: any 2xx answer to it is a violation. */
  mustReject?: string;
}

const SERVER_OWNED = ['id', 'userId', 'user', 'version', 'completedAt', 'createdAt', 'updatedAt', 'passwordHash', 'isActive', 'emailVerified', 'taskCount'];
/** Keys that exist on every object's prototype: an allow-list must refuse them like any other. */
const PROTOTYPE_KEYS = ['constructor', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__'];
const WRONG_CONTENT_TYPES = [
  'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/html',
  'application/merge-patch+json', 'application/json; charset=iso-8859-1',
];
// (A leading BOM is not here: RFC 8259 lets a parser ignore it.)
const BROKEN_JSON = ['{"title": ', '{', '', '{"a":1}}', "{'title':'x'}", 'NaN', '\u0000', '{"title":"x",}', '[', 'undefined', '{"title":"\\ud800"'];
/** Units a validator may count differently from PostgreSQL (UTF-16 units, code points, graphemes). */
const LENGTH_UNITS = ['a', 'é', '😀', '❤️', 'e\u0301', '👨‍👩‍👧‍👦', '\u0000'];

/** `[[...]]` nested `depth` levels: from just inside the documented limit to 45,000 levels (90 KB). */
export const deepJson = fc
  .oneof(fc.integer({ min: MAX_JSON_DEPTH - 2, max: MAX_JSON_DEPTH + 2 }), fc.constant(45_000))
  .map((depth) => ({ depth, text: `${'['.repeat(depth)}${']'.repeat(depth)}` }));

/** `{"<key>":<value>,...rest}` as text: how a `__proto__` key reaches the server intact. */
function withRawKey(body: Record<string, unknown>, key: string, value: unknown): string {
  const rest = JSON.stringify(body).slice(1);
  return `{${JSON.stringify(key)}:${JSON.stringify(value)}${rest === '}' ? '}' : `,${rest}`}`;
}

/** A property of the schema (an arbitrary choice among them) and a valid body with that property changed. */
function mutateProperty(
  schema: Schema,
  valid: fc.Arbitrary<Record<string, unknown>>,
  filter: (name: string, property: Schema) => boolean,
  change: (property: Schema) => fc.Arbitrary<unknown>,
): fc.Arbitrary<[string, Record<string, unknown>]> | undefined {
  const properties = Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {}).filter(([name, p]) => filter(name, p));
  if (properties.length === 0) return undefined;
  return fc
    .constantFrom(...properties)
    .chain(([name, property]) => fc.tuple(fc.constant(name), valid, change(property)).map(([n, body, value]) => [n, { ...body, [n]: value }] as [string, Record<string, unknown>]));
}

/** `slow`: the operation runs bcrypt on plausible bodies, so fewer of them are generated. */
export function bodyArbitrary(schema: Schema, slow: boolean, hints: Hints = PROPERTY_HINTS): fc.Arbitrary<BodyCase> {
  const validWeight = slow ? 3 : 8;
  const valid = validObject(schema, hints);
  const required = (schema.required as string[] | undefined) ?? [];
  const known = new Set(Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {}));
  // A valid body with the required properties and one optional one: with many optional fields, a
  // body carrying most of them rarely has every one acceptable together (a parent in the same
  // list, a due date beside a recurrence...), and writes must also succeed.
  const optional = [...known].filter((name) => !required.includes(name));
  const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
  const oneField = optional.length > 1
    ? [{
        weight: Math.ceil(validWeight / 2),
        arbitrary: fc
          .constantFrom(...optional)
          .chain((name) => validObject({ ...schema, properties: Object.fromEntries(Object.entries(properties).filter(([key]) => key === name || required.includes(key))) }, hints))
          .map((value): BodyCase => ({ kind: 'valid', value })),
      }]
    : [];
  const cases: Array<fc.WeightedArbitrary<BodyCase>> = [
    { weight: validWeight, arbitrary: valid.map((value) => ({ kind: 'valid', value })) },
    ...oneField,
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.oneof(fc.constantFrom(...SERVER_OWNED, ...PROTOTYPE_KEYS), fc.stringMatching(/^[a-zA-Z_$][a-zA-Z0-9_$]{0,15}$/)), fc.jsonValue({ maxDepth: 1 }))
        .filter(([, key]) => !known.has(key))
        .map(([body, key, value]) => ({ kind: 'extra-field', field: key, text: withRawKey(body, key, value), mustReject: 'an unknown property' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom('__proto__', 'constructor'), fc.constantFrom<unknown>({ isActive: false }, { prototype: { isActive: false } }, { userId: '00000000-0000-0000-0000-000000000000' }))
        .map(([body, key, value]) => ({ kind: 'prototype-pollution', field: key, text: withRawKey(body, key, value), mustReject: 'a __proto__/constructor key' })),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom('[]', '"a string"', '42', 'true', 'null', '[{"title":"x"}]').map((text) => ({ kind: 'not-an-object', text, mustReject: 'a body that is not an object' })),
        fc.constantFrom(...BROKEN_JSON).map((text) => ({ kind: 'broken-json', text, mustReject: 'a body that is not JSON' })),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.oneof(fc.constantFrom(...WRONG_CONTENT_TYPES), fc.constant(null)))
        .map(([value, contentType]) => ({ kind: 'wrong-content-type', text: JSON.stringify(value), contentType, mustReject: 'a body that is not application/json' })),
    },
    {
      weight: 1,
      arbitrary: valid.map((value) => ({
        kind: 'form-post',
        text: new URLSearchParams(Object.entries(value).map(([key, v]): [string, string] => [key, typeof v === 'string' ? v : JSON.stringify(v) ?? ''])).toString(),
        contentType: 'application/x-www-form-urlencoded',
        mustReject: 'a form post (JSON only)',
      })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, deepJson).map(([body, { depth, text }]) => ({
        kind: 'deep-json',
        field: `depth ${depth}`,
        text: withRawKey(body, 'nested', '').replace('"nested":""', `"nested":${text}`),
        mustReject: depth + 1 > MAX_JSON_DEPTH ? `JSON nested deeper than ${MAX_JSON_DEPTH} levels` : 'an unknown property',
      })),
    },
  ];
  const add = (weight: number, kind: string, arbitrary: fc.Arbitrary<[string, Record<string, unknown>]> | undefined, mustReject?: string) => {
    if (arbitrary) cases.push({ weight, arbitrary: arbitrary.map(([name, value]) => ({ kind, field: name, value, ...(mustReject ? { mustReject } : {}) })) });
  };
  const freeText = (_name: string, p: Schema) => p.type === 'string' && !p.enum && !p.format && !p.pattern;
  add(2, 'wrong-type', mutateProperty(schema, valid, () => true, wrongTypeValue), 'a property of the wrong type');
  add(1, 'nasty-string', mutateProperty(schema, valid, (_n, p) => p.type === 'string', () => nastyString));
  add(slow ? 1 : 3, 'nasty-text', mutateProperty(schema, valid, freeText, () => nastyString));
  add(slow ? 1 : 2, 'length-boundary', mutateProperty(schema, valid, (n, p) => freeText(n, p) && typeof p.maxLength === 'number', (p) => {
    const max = p.maxLength as number;
    return fc.tuple(fc.constantFrom(...LENGTH_UNITS), fc.constantFrom(Math.floor(max / 2) + 1, max - 1, max, max + 1)).map(([unit, n]) => unit.repeat(Math.max(n, 1)));
  }));
  add(2, 'lone-surrogate', mutateProperty(schema, valid, (_n, p) => p.type === 'string', () => loneSurrogateString), 'a string with a lone surrogate');
  add(1, 'grows-lower-cased', mutateProperty(schema, valid, (_n, p) => p.type === 'string', () => growsWhenLowerCased));
  add(1, 'huge-string', mutateProperty(schema, valid, (_n, p) => p.type === 'string', () => hugeString), 'a string past its maxLength');
  add(1, 'invalid-date', mutateProperty(schema, valid, (_n, p) => p.format === 'date-time', () => fc.constantFrom(...INVALID_DATES)), 'an invalid date-time');
  if (required.length > 0) {
    cases.push({
      weight: 2,
      arbitrary: fc.tuple(valid, fc.constantFrom(...required)).map(([body, name]) => {
        const rest = Object.fromEntries(Object.entries(body).filter(([key]) => key !== name));
        return { kind: 'missing-required', field: name, value: rest, mustReject: 'a missing required property' };
      }),
    });
  }
  return fc.oneof(...cases);
}
