import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-body.js';

const deeperThan = (text: string, limit: number) => nestsDeeperThan(Buffer.from(text, 'utf8'), limit);
const nested = (depth: number, inner = '') => '['.repeat(depth) + inner + ']'.repeat(depth);

describe('nestsDeeperThan', () => {
  it(`accepts exactly ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}`, () => {
    expect(deeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(deeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it.each([
    ['a scalar', '42', 0, false],
    ['an empty array at limit 1', '[]', 1, false],
    ['an empty array at limit 0', '[]', 0, true],
    ['objects and arrays, 4 deep, at limit 4', '{"a":[{"b":[1]}]}', 4, false],
    ['objects and arrays, 4 deep, at limit 3', '{"a":[{"b":[1]}]}', 3, true],
    ['siblings, which do not add up', '[[],[],{},[[]],{"a":{}}]', 3, false],
    ['closed levels, which do not count again', `[${nested(3)},${nested(3)}]`, 4, false],
    ['a level deeper after closed ones', `[${nested(3)},${nested(4)}]`, 4, true],
  ])('judges %s', (_name, text, limit, expected) => {
    expect(deeperThan(text, limit)).toBe(expected);
  });

  it('does not count brackets inside strings, keys included', () => {
    expect(deeperThan('["[[[[[[", "{{{{{{", {"[[[[": "]]]]"}]', 2)).toBe(false);
  });

  it('does not end a string at an escaped quote', () => {
    expect(deeperThan(String.raw`["\"[[[[[[", "a\"{{{{"]`, 1)).toBe(false);
  });

  it('ends a string after an escaped backslash, and counts what follows', () => {
    expect(deeperThan(String.raw`["\\", [[1]]]`, 2)).toBe(true);
    expect(deeperThan(String.raw`["\\", [[1]]]`, 3)).toBe(false);
  });

  it('is not confused by multi-byte UTF-8 characters next to quotes and brackets', () => {
    expect(deeperThan('["€\\"[", "😀", {"ü[": ["ﬀ"]}]', 3)).toBe(false);
    expect(deeperThan('["€\\"[", "😀", {"ü[": ["ﬀ"]}]', 2)).toBe(true);
  });

  it('stops at the first level too many of a 90 KB body of 45,000 unclosed brackets', () => {
    expect(deeperThan('['.repeat(45_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
