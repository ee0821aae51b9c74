import { ifMatchSatisfied, ifNoneMatchSatisfied, taskEtag } from './task-etag.js';

const ID = '0b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11';
const CURRENT = `"${ID}.3"`;

describe('taskEtag', () => {
  it('is a strong, quoted entity-tag of id and version', () => {
    expect(taskEtag({ id: ID, version: 3 })).toBe(CURRENT);
  });

  it('changes with the version and with the task', () => {
    expect(taskEtag({ id: ID, version: 4 })).not.toBe(taskEtag({ id: ID, version: 3 }));
    expect(taskEtag({ id: ID.replace('0b6a', '1b6a'), version: 3 })).not.toBe(taskEtag({ id: ID, version: 3 }));
  });

  it('is a valid RFC 9110 entity-tag: DQUOTE *etagc DQUOTE, no W/ prefix', () => {
    expect(taskEtag({ id: ID, version: 12 })).toMatch(/^"[\x21\x23-\x7e]*"$/);
  });
});

describe('If-Match (strong comparison)', () => {
  it.each([
    ['the current tag', CURRENT],
    ['*', '*'],
    ['a list containing it', `"${ID}.2", ${CURRENT}`],
    ['a list without spaces', `"${ID}.2",${CURRENT},"other.1"`],
    ['a list with tabs and spaces around members', `\t"${ID}.2" ,\t${CURRENT} `],
  ])('is satisfied by %s', (_name, header) => {
    expect(ifMatchSatisfied(header, CURRENT)).toBe(true);
  });

  it.each([
    ['a stale tag', `"${ID}.2"`],
    ['a newer tag', `"${ID}.4"`],
    ["another task's tag at the same version", `"${ID.replace('0b6a', '1b6a')}.3"`],
    ['the weak form of the current tag', `W/${CURRENT}`],
    ['a list whose only match is weak', `"${ID}.2", W/${CURRENT}`],
    ['the tag without its quotes', `${ID}.3`],
    ['an empty header', ''],
    ['a list of stale tags', `"${ID}.1", "${ID}.2"`],
    ['the tag as a prefix of another', `"${ID}.33"`],
  ])('is not satisfied by %s', (_name, header) => {
    expect(ifMatchSatisfied(header, CURRENT)).toBe(false);
  });
});

describe('If-None-Match (weak comparison)', () => {
  it.each([
    ['the current tag', CURRENT],
    ['the weak form of the current tag', `W/${CURRENT}`],
    ['*', '*'],
    ['a list containing it', `"${ID}.2", ${CURRENT}`],
    ['a list containing its weak form', `"${ID}.2",W/${CURRENT}`],
  ])('matches (so GET answers 304) for %s', (_name, header) => {
    expect(ifNoneMatchSatisfied(header, CURRENT)).toBe(true);
  });

  it.each([
    ['a stale tag', `"${ID}.2"`],
    ['the weak form of a stale tag', `W/"${ID}.2"`],
    ['a lower-case w/ prefix (W/ is case-sensitive)', `w/${CURRENT}`],
    ['the tag without its quotes', `${ID}.3`],
    ['a doubled W/ prefix', `W/W/${CURRENT}`],
    ['an empty header', ''],
  ])('does not match for %s', (_name, header) => {
    expect(ifNoneMatchSatisfied(header, CURRENT)).toBe(false);
  });
});
