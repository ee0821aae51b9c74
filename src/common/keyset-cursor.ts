import { createHash } from 'node:crypto';
import { validationProblem } from '../common/errors/api-problem.exception.js';

/** Where the previous page ended: the sort key's value (as text) and the id of its last row. */
export interface CursorPosition {
  value: string | null;
  id: string;
}

interface EncodedCursor {
  /** Fingerprint of the filters and sort the cursor belongs to. */
  f: string;
  v: string | null;
  i: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invalidCursor = (message: string) => validationProblem([{ field: 'cursor', message }]);

/**
 * A timestamptz sort key as lossless text: microsecond UTC, so the cursor compares exactly. The
 * SQL that writes it and the check that a client sent back that shape are kept together here.
 */
export const cursorTimestampSql = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The exact shape cursorTimestampSql writes, and a real instant (a forged 2024-13-45 is not). */
export function isCursorTimestamp(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value)) {
    return false;
  }
  const instant = new Date(value.replace(/\d{3}Z$/, 'Z'));
  // Year 0000 parses in JavaScript but not in PostgreSQL.
  return instant.getUTCFullYear() >= 1 && instant.toISOString().slice(0, 23) === value.slice(0, 23);
}

/** A stable fingerprint of everything that decides the order and membership of a list. */
export function listFingerprint(listShape: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(listShape)).digest('base64url').slice(0, 16);
}

export function encodeCursor(fingerprint: string, position: CursorPosition): string {
  const payload: EncodedCursor = { f: fingerprint, v: position.value, i: position.id };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** Opaque to clients; rejected when malformed or issued for other filters or another sort. */
export function decodeCursor(cursor: string, fingerprint: string): CursorPosition {
  let decoded: Partial<EncodedCursor>;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('cursor is not a cursor this API issued');
  }
  if (
    typeof decoded !== 'object' || decoded === null ||
    typeof decoded.i !== 'string' || !UUID.test(decoded.i) ||
    !(typeof decoded.v === 'string' || decoded.v === null) ||
    (typeof decoded.v === 'string' && decoded.v.includes('\u0000')) ||
    typeof decoded.f !== 'string'
  ) {
    throw invalidCursor('cursor is not a cursor this API issued');
  }
  if (decoded.f !== fingerprint) {
    throw invalidCursor('cursor belongs to other filters or another sort: start again without it');
  }
  return { value: decoded.v, id: decoded.i };
}
