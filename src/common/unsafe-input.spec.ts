import { validateSync } from 'class-validator';
import { findUnsafe, NoNulCharacters } from './unsafe-input.js';

const NUL = 'must not contain NUL characters';
const SURROGATE = 'must be well-formed Unicode (it contains a lone surrogate)';

describe('findUnsafe', () => {
  it.each([
    ['an ordinary body', { title: 'Buy milk', tags: ['a', 'b'], nested: { n: 1, ok: true, none: null } }],
    ['well-formed astral characters (surrogate pairs)', { title: '😀 𝄞 🇫🇷', items: ['👍🏽'] }],
    ['non-string scalars', 42],
    ['null', null],
    ['undefined (no body)', undefined],
    ['a key named prototype (no Object.prototype key)', { prototype: 1 }],
  ])('finds nothing in %s', (_name, body) => {
    expect(findUnsafe(body)).toEqual([]);
  });

  it.each([
    ['a NUL character', 'a\u0000b', NUL],
    ['a lone high surrogate', 'a\ud800b', SURROGATE],
    ['a lone low surrogate', '\udc00', SURROGATE],
    ['a pair in the wrong order', '\udc00\ud800', SURROGATE],
  ])('names a string value with %s by its field', (_name, value, problem) => {
    expect(findUnsafe({ title: 'fine', description: value })).toEqual([{ field: 'description', message: `description ${problem}` }]);
  });

  it('calls a top-level string the body', () => {
    expect(findUnsafe('\u0000')).toEqual([{ field: 'body', message: `body ${NUL}` }]);
  });

  it('names nested fields and array items by their path', () => {
    expect(findUnsafe({ items: [{ name: 'ok' }, { name: 'x\u0000' }], meta: { deep: { note: '\ud83d' } } })).toEqual([
      { field: 'items.1.name', message: `items.1.name ${NUL}` },
      { field: 'meta.deep.note', message: `meta.deep.note ${SURROGATE}` },
    ]);
  });

  it('reports the fields in the order they were sent', () => {
    const found = findUnsafe({ c: '\u0000', a: { z: '\u0000', y: '\u0000' }, b: ['\u0000', '\u0000'] });
    expect(found.map((error) => error.field)).toEqual(['c', 'a.z', 'a.y', 'b.0', 'b.1']);
  });

  it('names a property name that cannot be stored', () => {
    expect(findUnsafe({ ok: 1, 'bad\u0000key': 1, ['\ud800']: 2 })).toEqual([
      { field: 'bad\u0000key', message: `property bad\u0000key ${NUL}` },
      { field: '\ud800', message: `property \ud800 ${SURROGATE}` },
    ]);
  });

  it.each(['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'])(
    'refuses the Object.prototype key %s wherever it is, without walking into it',
    (key) => {
      const body = JSON.parse(`{"title":"x","nested":{"${key}":{"isAdmin":true,"evil":"\\u0000"}}}`);
      expect(findUnsafe(body)).toEqual([{ field: `nested.${key}`, message: `property ${key} should not exist` }]);
    },
  );

  it('reports at most 10 problems, the first 10 sent', () => {
    const body = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, '\u0000']));
    expect(findUnsafe(body).map((error) => error.field)).toEqual(Array.from({ length: 10 }, (_, i) => `f${i}`));
  });

  it('reports at most 10 problems when one object has more bad property names', () => {
    const body = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}\u0000`, 1]));
    expect(findUnsafe(body).map((error) => error.field)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}\u0000`));
  });

  it('walks 100,000 levels of nesting without overflowing the call stack', () => {
    let body: unknown = ['\u0000'];
    for (let i = 0; i < 100_000; i++) body = [body];
    const found = findUnsafe(body);
    expect(found).toHaveLength(1);
    expect(found[0].field).toBe(`${'0.'.repeat(100_000)}0`);
  });
});

describe('NoNulCharacters', () => {
  class Query {
    @NoNulCharacters()
    q?: unknown;
  }
  const errorsFor = (q: unknown) => validateSync(Object.assign(new Query(), { q })).map((error) => error.constraints);

  it('refuses a string with a NUL character, naming the property', () => {
    expect(errorsFor('milk\u0000')).toEqual([{ noNulCharacters: `q ${NUL}` }]);
  });

  it.each([['an ordinary string', 'milk'], ['a lone surrogate (not its job)', '\ud800'], ['a non-string', 5], ['nothing', undefined]])('lets %s through', (_name, q) => {
    expect(errorsFor(q)).toEqual([]);
  });
});
