import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { decodeChangeCursor, encodeChangeCursor } from './change-cursor.js';

const USER = '0b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11';
const OTHER = '1b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11';
const encoded = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

describe('change-feed cursors', () => {
  it('round-trip the position and the time they were issued', () => {
    const cursor = { userId: USER, seq: '42', issuedAt: 1_767_225_600_000 };
    expect(decodeChangeCursor(encodeChangeCursor(cursor), USER)).toEqual(cursor);
  });

  it('are refused for another user: a cursor is bound to whom it was issued', () => {
    const cursor = encodeChangeCursor({ userId: OTHER, seq: '1', issuedAt: 0 });
    expect(() => decodeChangeCursor(cursor, USER)).toThrow(ApiProblemException);
  });

  it.each([
    ['not base64 JSON', '!!!'],
    ['JSON null', encoded(null)],
    ['a negative seq', encoded({ u: USER, s: '-1', t: 0 })],
    ['a numeric seq', encoded({ u: USER, s: 5, t: 0 })],
    ['a seq with leading zeros', encoded({ u: USER, s: '007', t: 0 })],
    ['a seq past bigint', encoded({ u: USER, s: '99999999999999999999', t: 0 })],
    ['no issue time', encoded({ u: USER, s: '1' })],
    ['a fractional issue time', encoded({ u: USER, s: '1', t: 1.5 })],
  ])('are refused with 400 when forged: %s', (_label, text) => {
    try {
      decodeChangeCursor(text, USER);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ApiProblemException);
      expect((error as ApiProblemException).getStatus()).toBe(400);
    }
  });
});
