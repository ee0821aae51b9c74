import fc from 'fast-check';
import { encodeCursor, listFingerprint } from '../../src/common/keyset-cursor.js';
import type { OpenApiParameter, Operation } from './openapi-contract.js';
import { resourceOf } from './openapi-contract.js';
import { MAX_JSON_DEPTH } from '../../src/common/json-body.js';
import { bodyArbitrary, deepJson, type BodyCase } from './fuzz-bodies.js';
import { dateTime, INVALID_DATES, INVITATION_HINTS, marker, Marker, nastyString, PROPERTY_HINTS, validValue, type MarkerKind } from './fuzz-values.js';

export type Credential = 'caller' | 'none' | 'garbage' | 'lowercase-scheme';

export interface FuzzRequest {
  pathId?: string | Marker;
  /** Put the id into the path without URL-encoding it (malformed percent-escapes and such). */
  rawPathId?: boolean;
  /** The second path parameter ({userId}, {invitationId}), resolved knowing the first. */
  subId?: string | Marker;
  query: Array<[string, string | Marker]>;
  headers: Record<string, string | Marker>;
  body?: BodyCase;
  credential: Credential;
  remoteAddress?: string;
}

/** Ids the caller may reach, by weight, and one that must stay out of reach. */
interface IdMarkers {
  own: Array<[MarkerKind, number]>;
  other: MarkerKind;
}

const ID_MARKERS: Record<string, IdMarkers> = {
  tasks: { own: [['liveTask', 4], ['task', 2], ['sharedTask', 2]], other: 'otherTask' },
  categories: { own: [['category', 6], ['sharedCategory', 1], ['joinedCategory', 1]], other: 'otherCategory' },
  // A category's members and invitations: mostly one that has some, sometimes one that may not.
  sharing: { own: [['sharedCategory', 5], ['category', 2], ['joinedCategory', 1]], other: 'otherCategory' },
  // Accept and decline: one addressed to the caller; "other": one the caller sent to someone else.
  invitations: { own: [['incomingInvitation', 1]], other: 'outgoingInvitation' },
  sessions: { own: [['session', 1]], other: 'otherSession' },
  trash: { own: [['trashedTask', 1]], other: 'otherTrashedTask' },
  webhooks: { own: [['webhook', 1]], other: 'otherWebhook' },
  labels: { own: [['label', 1]], other: 'otherLabel' },
};

/** The ids a path takes: a restore takes a task from the trash, like the trash's own routes; label routes take a label's name. */
const idMarkersOf = (path: string): IdMarkers | undefined =>
  ID_MARKERS[
    path.endsWith('/restore') ? 'trash'
    : path.endsWith('/labels/{name}') ? 'labels'
    : /^\/api\/v1\/categories\/\{id\}\/(members|invitations)/.test(path) ? 'sharing'
    : (resourceOf(path) ?? '')
  ];

/** Path ids: the caller's own (often), another user's, random uuids, and random strings. */
export function pathIdArbitrary(path: string): fc.Arbitrary<{ id: string | Marker; raw: boolean }> {
  const markers = idMarkersOf(path);
  const encoded = (arbitrary: fc.Arbitrary<string | Marker>) => arbitrary.map((id) => ({ id, raw: false }));
  const reachable = (id: string) => id.length > 0 && !['.', '..', 'stats'].includes(id);
  // inject resolves a `%2e%2e` segment as a WHATWG URL does: /categories/%2e%2e/invitations is
  // another route (/invitations), answered by its own contract. Only where {id} ends the path.
  const rawIds = ['%zz', '%', '%E0%A4%A', "'%20OR%201=1--", '%00', '..%2f..%2f', ...(path.endsWith('{id}') ? ['%2e%2e'] : [])];
  const own = markers ? fc.oneof(...markers.own.map(([kind, weight]) => ({ weight, arbitrary: marker(kind) }))) : undefined;
  return fc.oneof(
    ...(markers && own ? [{ weight: 8, arbitrary: encoded(own) }, { weight: 2, arbitrary: encoded(marker(markers.other)) }] : []),
    { weight: 3, arbitrary: encoded(fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.uuid().map((u) => `{${u}}`), fc.uuid().map((u) => u.replaceAll('-', '')), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'))) },
    { weight: 2, arbitrary: encoded(fc.oneof(nastyString.filter((s) => s.length < 300), fc.string({ minLength: 1, maxLength: 200 })).filter(reachable)) },
    { weight: 1, arbitrary: fc.constantFrom(...rawIds).map((id) => ({ id, raw: true })) },
  );
}

/**
 * The second path parameter, resolved after the first: a member of that category ({userId}) or
 * one of its pending invitations ({invitationId}) mostly; the caller, a stranger, an invitation of
 * another category, random uuids and strings otherwise. {deliveryId} is left to the world.
 */
export function subIdArbitrary(path: string): fc.Arbitrary<string | Marker> | undefined {
  const name = /\{(userId|invitationId)\}/.exec(path)?.[1];
  if (!name) return undefined;
  const [own, ...others]: MarkerKind[] = name === 'userId' ? ['memberId', 'self', 'otherUserId'] : ['outgoingInvitation', 'incomingInvitation'];
  return fc.oneof(
    { weight: 8, arbitrary: marker(own) },
    ...others.map((kind) => ({ weight: 1, arbitrary: marker(kind) })),
    { weight: 2, arbitrary: fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.constantFrom('00000000-0000-0000-0000-000000000000')) },
    { weight: 1, arbitrary: fc.oneof(nastyString.filter((s) => s.length > 0 && s.length < 300), fc.string({ minLength: 1, maxLength: 60 })).filter((id) => !['.', '..'].includes(id)) },
  );
}

const LIST_WORDS = ['pending', 'in_progress', 'completed', 'low', 'medium', 'high', 'none', 'PENDING', '', ' '];

function queryValue(parameter: OpenApiParameter): fc.Arbitrary<string | Marker> {
  const schema = parameter.schema ?? {};
  const valid = ((): fc.Arbitrary<string | Marker> => {
    // Node's ICU zones, and names one of ICU and PostgreSQL's tzdata may know and the other not.
    if (parameter.name === 'tz') return fc.oneof(fc.constantFrom(...Intl.supportedValuesOf('timeZone')), fc.constantFrom('UTC', 'US/Pacific-New', 'Canada/East-Saskatchewan', 'SystemV/EST5', 'EST5EDT', 'europe/paris', 'Etc/GMT+14', 'GMT0', 'Asia/Rangoon', 'Factory', 'localtime', 'posixrules', 'Z', '+02:00', 'America/Ciudad_Juarez', 'Europe/Kyiv', 'Pacific/Kanton'));
    if (parameter.name === 'categoryId') return fc.oneof(marker('category'), marker('sharedCategory'), marker('joinedCategory'), fc.constantFrom('none', 'NONE'), fc.uuid());
    if (parameter.name === 'assignee') return fc.oneof(fc.constantFrom('me', 'none', 'ME', 'None'), marker('self'), marker('memberId'), marker('otherUserId'), fc.uuid());
    if (schema.type === 'array') {
      // The items have no enum in the document; the description lists them ("Comma-separated: a,b,c").
      const documented = /:\s*([\w,]+)/.exec(parameter.description ?? '')?.[1].split(',') ?? [];
      const words = documented.length > 0 ? documented : LIST_WORDS;
      return fc.oneof(
        { weight: 4, arbitrary: fc.uniqueArray(fc.constantFrom(...words), { minLength: 1, maxLength: words.length }).map((list) => list.join(',')) },
        { weight: 1, arbitrary: fc.array(fc.constantFrom(...words, ...LIST_WORDS), { minLength: 1, maxLength: 6 }).map((list) => list.join(',')) },
      );
    }
    if (schema.type === 'boolean') return fc.oneof({ weight: 4, arbitrary: fc.constantFrom('true', 'false') }, { weight: 1, arbitrary: fc.constantFrom('TRUE', '1', '0', 'yes', '') });
    if (schema.type === 'number' || schema.type === 'integer') {
      const inRange = fc.integer({ min: (schema.minimum as number | undefined) ?? -1_000, max: (schema.maximum as number | undefined) ?? 1_000 }).map(String);
      return fc.oneof({ weight: 4, arbitrary: inRange }, { weight: 1, arbitrary: fc.constantFrom('0', '101', '-1', '1.5', '1e2', '0x10', '00001', ' 5', '-0', '9999999999999999999999') });
    }
    if (schema.format === 'date-time') return fc.oneof({ weight: 4, arbitrary: dateTime }, { weight: 1, arbitrary: fc.constantFrom(...INVALID_DATES) });
    return validValue(schema).map((value) => String(value));
  })();
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: nastyString.filter((s) => s.length < 20_000) });
}

/** Query strings: documented parameters with valid and nasty values, repeated ones, unknown ones. */
export function queryArbitrary(parameters: OpenApiParameter[]): fc.Arbitrary<Array<[string, string | Marker]>> {
  const junk = fc.tuple(fc.oneof(fc.constantFrom('foo', '__proto__', 'constructor', 'limit[]', 'status[0]'), fc.string({ minLength: 1, maxLength: 8 })), fc.string({ maxLength: 10 }));
  if (parameters.length === 0) {
    const none = fc.constant<Array<[string, string | Marker]>>([]);
    return fc.oneof({ weight: 9, arbitrary: none }, { weight: 1, arbitrary: fc.array(junk, { maxLength: 2 }) });
  }
  const pair = fc.constantFrom(...parameters).chain((p) => queryValue(p).map((value) => [p.name, value] as [string, string | Marker]));
  const pairs = fc.oneof(
    { weight: 5, arbitrary: fc.uniqueArray(pair, { selector: ([name]) => name, maxLength: 5 }) },
    { weight: 1, arbitrary: fc.array(pair, { minLength: 2, maxLength: 5 }) }, // repeated parameters
  );
  const extra = fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: junk });
  return fc.tuple(pairs, extra).map(([list, unknown]) => (unknown ? [...list, unknown] : list));
}

/**
 * The list query of a crafted cursor: built the way the API builds cursors (a fingerprint of the
 * sort, no filters), around a fuzzed position, as any client could.
 */
export const cursorQuery = fc.record({
  sort: fc.constantFrom('createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'dueDate', '-dueDate', 'priority', '-priority', 'title', '-title'),
  value: fc.oneof(
    fc.constant(null),
    fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '000Z')),
    fc.string({ minLength: 1, maxLength: 200 }),
    nastyString.filter((s) => s.length < 2_000),
    fc.constantFrom('2024-01-01T00:00:00.000000Z', '2024-13-45T25:61:61.000000Z', '0000-01-01T00:00:00.000000Z', '9999-99-99T99:99:99.999999Z', '1', '3', '0', 'a'.repeat(200))),
  id: fc.oneof(fc.uuid(), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-uuid')),
  limit: fc.option(fc.integer({ min: 1, max: 100 })),
}).map(({ sort, value, id, limit }): Array<[string, string]> => [
  ['sort', sort],
  ['cursor', encodeCursor(listFingerprint({ sort }), { value, id })],
  ...(limit === null ? [] : [['limit', String(limit)] as [string, string]]),
]);

const conditional = fc.oneof(
  marker('etag'), marker('etag'), marker('weakEtag'),
  fc.constantFrom('*', '"stale.1"', '""', '', 'W/"*"', '"a", "b"', '*, "x"'),
  nastyString.filter((s) => s.length < 100 && /^[\x20-\x7e]*$/.test(s)),
);

const oddHeaderText = fc.string({ unit: fc.constantFrom(...'abc/1.0 ();é\u00ff"\'<>'.split('')), maxLength: 400 });
/** A well-formed key (a fresh one, so no two requests collide) as often as odd text, so keyed writes also get through. */
const idempotencyKey = fc.oneof(marker('freshIdempotencyKey'), oddHeaderText);

/** Documented header parameters (If-Match, If-None-Match, Idempotency-Key, User-Agent), each sometimes absent. */
export function headersArbitrary(parameters: OpenApiParameter[]): fc.Arbitrary<Record<string, string | Marker>> {
  const names = [...new Set(parameters.map((p) => p.name.toLowerCase()))];
  const model = Object.fromEntries(
    names.map((name) => [name, name.startsWith('if-') ? conditional : name === 'idempotency-key' ? idempotencyKey : oddHeaderText]),
  );
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Record<string, string | Marker>>;
}

export function requestArbitrary(op: Operation, slow: boolean): fc.Arbitrary<FuzzRequest> {
  const parameters = op.operation.parameters ?? [];
  const hasCursor = parameters.some((p) => p.in === 'query' && p.name === 'cursor');
  // A cursor only means something with the sort it was made for: crafted ones come from cursorQuery.
  const queryParameters = parameters.filter((p) => p.in === 'query' && p.name !== 'cursor');
  const noBody = fc.constant<BodyCase | undefined>(undefined);
  return fc.record({
    path: op.path.includes('{') ? pathIdArbitrary(op.path) : fc.constant(undefined),
    subId: subIdArbitrary(op.path) ?? fc.constant(undefined),
    query: queryArbitrary(queryParameters),
    cursor: hasCursor ? fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: cursorQuery }) : fc.constant(null),
    headers: headersArbitrary(parameters.filter((p) => p.in === 'header')),
    body: op.bodySchema
      ? bodyArbitrary(op.bodySchema, slow, op.path.endsWith('/invitations') ? INVITATION_HINTS : PROPERTY_HINTS)
      : op.method === 'GET' ? noBody : fc.oneof({ weight: 6, arbitrary: noBody }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => ({ kind: 'ignored-body', text: JSON.stringify(value) ?? 'null' })) },
        { weight: 1, arbitrary: deepJson.map(({ depth, text }) => ({ kind: 'ignored-deep-body', field: `depth ${depth}`, text, ...(depth > MAX_JSON_DEPTH ? { mustReject: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` } : {}) })) },
        { weight: 1, arbitrary: fc.constant<BodyCase>({ kind: 'empty-json-body', text: '' }) }),
    credential: fc.oneof({ weight: 30, arbitrary: fc.constant<Credential>('caller') }, { weight: 3, arbitrary: fc.constantFrom<Credential>('none', 'garbage', 'lowercase-scheme') }),
    remoteAddress: fc.ipV4(),
  }).map(({ path, subId, query, cursor, headers, body, credential, remoteAddress }) => ({
    pathId: path?.id,
    rawPathId: path?.raw,
    subId,
    query: cursor ?? query,
    headers,
    body,
    credential,
    remoteAddress,
  }));
}
