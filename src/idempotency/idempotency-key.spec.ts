import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { parseIdempotencyKey, requestFingerprint } from './idempotency-key.js';

describe('parseIdempotencyKey', () => {
  it.each([
    ['a bare key', 'order-1', 'order-1'],
    ['a structured-field string', '"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
    ['inner spaces and punctuation', 'a b:c/d', 'a b:c/d'],
  ])('accepts %s', (_label, header, key) => {
    expect(parseIdempotencyKey(header)).toBe(key);
  });

  it.each([
    ['an empty key', ''],
    ['empty quotes', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'a\tb'],
    ['non-ASCII', 'clé'],
    ['leading space', ' key'],
    ['the header twice', ['a', 'b']],
  ])('refuses %s with 400', (_label, header) => {
    expect(() => parseIdempotencyKey(header)).toThrow(ApiProblemException);
  });
});

describe('requestFingerprint', () => {
  const request = { method: 'PATCH', url: '/api/v1/tasks/1', headers: { 'if-match': '"1.2"' }, body: { title: 'a' } };

  it('is the same for the same request', () => {
    expect(requestFingerprint({ ...request })).toBe(requestFingerprint(request));
  });

  it.each([
    ['method', { method: 'POST' }],
    ['path', { url: '/api/v1/tasks/2' }],
    ['If-Match', { headers: { 'if-match': '"1.3"' } }],
    ['body', { body: { title: 'b' } }],
  ])('changes with the %s', (_label, change) => {
    expect(requestFingerprint({ ...request, ...change })).not.toBe(requestFingerprint(request));
  });
});
