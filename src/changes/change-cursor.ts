import { validationProblem } from '../common/errors/api-problem.exception.js';

/** Where a follower of the change feed stands: after `seq` in `userId`'s stream, as of `issuedAt`. */
export interface ChangeCursor {
  userId: string;
  seq: string;
  issuedAt: number;
}

interface EncodedChangeCursor {
  u: string;
  s: string;
  t: number;
}

const SEQ = /^(0|[1-9]\d{0,18})$/;

const notIssuedHere = () => validationProblem([{ field: 'cursor', message: 'cursor is not a change-feed cursor this API issued to you' }]);

export function encodeChangeCursor(cursor: ChangeCursor): string {
  const payload: EncodedChangeCursor = { u: cursor.userId, s: cursor.seq, t: cursor.issuedAt };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * Opaque to clients. Malformed, or issued to another user: 400. Whether it is too old (410) is the
 * feed's decision, which also knows what the retention has removed.
 */
export function decodeChangeCursor(text: string, userId: string): ChangeCursor {
  let decoded: Partial<EncodedChangeCursor>;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw notIssuedHere();
  }
  if (
    typeof decoded !== 'object' || decoded === null ||
    decoded.u !== userId ||
    typeof decoded.s !== 'string' || !SEQ.test(decoded.s) ||
    typeof decoded.t !== 'number' || !Number.isSafeInteger(decoded.t) || decoded.t < 0
  ) {
    throw notIssuedHere();
  }
  return { userId, seq: decoded.s, issuedAt: decoded.t };
}
