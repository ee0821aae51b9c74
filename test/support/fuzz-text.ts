import type { FuzzRequest } from './fuzz-requests.js';
import { Marker } from './fuzz-values.js';

/** Printable ASCII kept, everything else escaped, long texts cut: for failure messages. */
export function printable(text: string, max = 240): string {
  const cut = text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
  return cut.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** encodeURIComponent that, like an HTTP client, sends a lone surrogate as U+FFFD instead of throwing. */
export function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.!~*'()]/.test(String.fromCharCode(byte)) && byte < 0x80 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** What kind of request it was, without its values: examples of one problem are kept per shape. */
export function shapeOf(request: FuzzRequest): string {
  const id = request.pathId === undefined ? '' : ` id=${request.pathId instanceof Marker ? request.pathId.kind : request.rawPathId ? 'raw' : 'literal'}`;
  const subId = request.subId === undefined ? '' : ` subId=${request.subId instanceof Marker ? request.subId.kind : 'literal'}`;
  const query = request.query.length > 0 ? ` query=${[...new Set(request.query.map(([name]) => name))].sort().join(',')}` : '';
  const body = request.body ? ` body=${request.body.kind}${request.body.field ? `:${request.body.field}` : ''}` : '';
  return `${request.credential}${id}${subId}${query}${body}`;
}

/** Whether a fuzzed id is a uuid: only those are looked up in the database (uuid columns refuse the rest). */
export const isUuid = (text: string | undefined): text is string => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text ?? '');
