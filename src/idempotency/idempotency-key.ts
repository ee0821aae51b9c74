import { createHash } from 'node:crypto';
import { validationProblem } from '../common/errors/api-problem.exception.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

const PRINTABLE = /^[\x20-\x7e]{1,255}$/;

const invalidKey = () =>
  validationProblem([{ field: IDEMPOTENCY_KEY_HEADER, message: 'Idempotency-Key must be 1 to 255 printable ASCII characters, sent once' }]);

/**
 * The key from the header, bare (`abc`) or as the draft's structured-field string (`"abc"`).
 * Anything else, or the header sent twice, is refused.
 */
export function parseIdempotencyKey(header: string | string[]): string {
  if (typeof header !== 'string') {
    throw invalidKey();
  }
  const key = header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  if (!PRINTABLE.test(key) || key.trim() !== key) {
    throw invalidKey();
  }
  return key;
}

/** What makes two requests "the same": method, path with query, If-Match and the parsed body. */
export function requestFingerprint(request: { method: string; url: string; headers: Record<string, unknown>; body?: unknown }): string {
  return createHash('sha256')
    .update(JSON.stringify([request.method, request.url, request.headers['if-match'] ?? null, request.body ?? null]))
    .digest('hex');
}
