import { ApiProblemException } from './errors/api-problem.exception.js';
import { decodeCursor, encodeCursor, isCursorTimestamp, listFingerprint } from './keyset-cursor.js';

const ID = '0b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11';
const FINGERPRINT = 'list-fingerprint';
const NOT_ISSUED = 'cursor is not a cursor this API issued';
const OTHER_LIST = 'cursor belongs to other filters or another sort: start again without it';

/** A cursor built by hand, the way a client forging one would: base64url of a JSON payload. */
const forge = (payload: unknown) => Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64url');

function refusalOf(cursor: string, fingerprint = FINGERPRINT): ApiProblemException {
  try {
    decodeCursor(cursor, fingerprint);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiProblemException);
    return error as ApiProblemException;
  }
  throw new Error(`decodeCursor accepted ${JSON.stringify(cursor)}`);
}

/** The 400 validation problem every refused cursor answers, naming the cursor field only. */
const cursorProblem = (message: string) => ({
  type: 'urn:tasktracker:problem:validation-error',
  title: 'Bad Request',
  status: 400,
  detail: 'Invalid request: check cursor.',
  errors: [{ field: 'cursor', message }],
});

describe('encodeCursor / decodeCursor', () => {
  it.each([
    ['a text value', { value: 'Buy milk', id: ID }],
    ['a null value (a null sort key)', { value: null, id: ID }],
    ['a timestamp value', { value: '2024-02-29T23:59:59.123456Z', id: ID }],
    ['quotes, commas and astral characters', { value: 'a "quoted", 😀 value \\ ', id: ID.toUpperCase() }],
  ])('round-trips %s', (_name, position) => {
    expect(decodeCursor(encodeCursor(FINGERPRINT, position), FINGERPRINT)).toEqual(position);
  });

  it('is URL-safe base64 of {f, v, i}, so it needs no escaping in a query string', () => {
    const cursor = encodeCursor(FINGERPRINT, { value: '?&=/+ ü', id: ID });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).toEqual({ f: FINGERPRINT, v: '?&=/+ ü', i: ID });
  });

  it('accepts a cursor of the documented shape built without encodeCursor', () => {
    expect(decodeCursor(forge({ f: FINGERPRINT, v: 'x', i: ID }), FINGERPRINT)).toEqual({ value: 'x', id: ID });
  });

  it.each([
    ['an empty string', ''],
    ['text that is not base64 of JSON', 'not-a-cursor'],
    ['base64 of broken JSON', forge('{"f":')],
    ['JSON null', forge('null')],
    ['a JSON number', forge('42')],
    ['a JSON string', forge('"cursor"')],
    ['a JSON array', forge([FINGERPRINT, 'x', ID])],
    ['an empty object', forge({})],
    ['no id', forge({ f: FINGERPRINT, v: 'x' })],
    ['an id that is not a uuid', forge({ f: FINGERPRINT, v: 'x', i: 'abc' })],
    ['a uuid with SQL after it', forge({ f: FINGERPRINT, v: 'x', i: `${ID}' or '1'='1` })],
    ['a numeric id', forge({ f: FINGERPRINT, v: 'x', i: 42 })],
    ['no value', forge({ f: FINGERPRINT, i: ID })],
    ['a numeric value', forge({ f: FINGERPRINT, v: 7, i: ID })],
    ['an object value', forge({ f: FINGERPRINT, v: { $gt: '' }, i: ID })],
    ['a value with a NUL character (PostgreSQL text cannot hold it)', forge({ f: FINGERPRINT, v: 'a\u0000b', i: ID })],
    ['no fingerprint', forge({ v: 'x', i: ID })],
    ['a numeric fingerprint', forge({ f: 1, v: 'x', i: ID })],
  ])('refuses %s with the 400 validation problem naming cursor', (_name, cursor) => {
    expect(refusalOf(cursor).problem).toEqual(cursorProblem(NOT_ISSUED));
  });

  it('refuses a cursor whose bytes were tampered with', () => {
    const cursor = encodeCursor(FINGERPRINT, { value: 'x', id: ID });
    const payload = Buffer.from(cursor, 'base64url').toString('utf8');
    const tampered = (from: string, to: string) => {
      expect(payload).toContain(from);
      return Buffer.from(payload.replace(from, to)).toString('base64url');
    };
    expect(refusalOf(cursor.slice(0, -4)).problem).toEqual(cursorProblem(NOT_ISSUED));
    expect(refusalOf(cursor.split('').reverse().join('')).problem).toEqual(cursorProblem(NOT_ISSUED));
    expect(refusalOf(tampered(ID, ID.replace('0b6a', '0b6g'))).problem).toEqual(cursorProblem(NOT_ISSUED));
    expect(refusalOf(tampered('"v":"x"', '"v":1')).problem).toEqual(cursorProblem(NOT_ISSUED));
    expect(refusalOf(tampered(FINGERPRINT, `${FINGERPRINT}x`)).problem).toEqual(cursorProblem(OTHER_LIST));
  });

  it('refuses a well-formed cursor issued for another list, saying to start again', () => {
    const cursor = encodeCursor(listFingerprint({ status: ['pending'], sort: 'title' }), { value: 'x', id: ID });
    const problem = refusalOf(cursor, listFingerprint({ status: ['completed'], sort: 'title' })).problem;
    expect(problem).toEqual(cursorProblem(OTHER_LIST));
  });
});

describe('listFingerprint', () => {
  it('is the same for the same filters and sort, and differs when either changes', () => {
    const shape = { status: ['pending'], q: 'milk', sort: '-createdAt' };
    expect(listFingerprint({ ...shape })).toBe(listFingerprint(shape));
    expect(listFingerprint({ ...shape, sort: 'createdAt' })).not.toBe(listFingerprint(shape));
    expect(listFingerprint({ ...shape, q: 'milk ' })).not.toBe(listFingerprint(shape));
    expect(listFingerprint({ ...shape, status: ['pending', 'completed'] })).not.toBe(listFingerprint(shape));
    expect(listFingerprint({ ...shape, q: undefined })).not.toBe(listFingerprint(shape));
  });

  it('is 16 URL-safe characters', () => {
    expect(listFingerprint({ sort: 'title' })).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

describe('isCursorTimestamp', () => {
  it.each([
    '2024-02-29T23:59:59.123456Z',
    '1970-01-01T00:00:00.000000Z',
    '0001-01-01T00:00:00.000000Z',
    '9999-12-31T23:59:59.999999Z',
    '2026-11-05T08:30:00.000001Z',
  ])('accepts %s', (value) => {
    expect(isCursorTimestamp(value)).toBe(true);
  });

  it.each([
    ['milliseconds only', '2024-01-01T00:00:00.123Z'],
    ['no fraction', '2024-01-01T00:00:00Z'],
    ['nanoseconds', '2024-01-01T00:00:00.123456789Z'],
    ['an offset instead of Z', '2024-01-01T00:00:00.000000+00:00'],
    ['no zone', '2024-01-01T00:00:00.000000'],
    ['a space for T', '2024-01-01 00:00:00.000000Z'],
    ['a lower-case z', '2024-01-01T00:00:00.000000z'],
    ['a trailing newline', '2024-01-01T00:00:00.000000Z\n'],
    ['text after it', '2024-01-01T00:00:00.000000Z; drop table tasks'],
    ['a five-digit year', '10000-01-01T00:00:00.000000Z'],
    ['a date only', '2024-01-01'],
    ['an empty string', ''],
    ['non-ASCII digits', '２０２４-01-01T00:00:00.000000Z'],
    ['month 13 and day 45', '2024-13-45T00:00:00.000000Z'],
    ['month 00', '2024-00-10T00:00:00.000000Z'],
    ['day 00', '2024-01-00T00:00:00.000000Z'],
    ['February 29 of a common year', '2023-02-29T00:00:00.000000Z'],
    ['April 31', '2024-04-31T00:00:00.000000Z'],
    ['hour 24', '2024-01-01T24:00:00.000000Z'],
    ['hour 25', '2024-01-01T25:00:00.000000Z'],
    ['minute 60', '2024-01-01T00:60:00.000000Z'],
    ['a leap second', '2016-12-31T23:59:60.000000Z'],
    ['year 0000 (JavaScript parses it, PostgreSQL does not)', '0000-01-01T00:00:00.000000Z'],
    ['year 0000 on a leap day', '0000-02-29T00:00:00.000000Z'],
  ])('refuses %s', (_name, value) => {
    expect(isCursorTimestamp(value)).toBe(false);
  });
});
