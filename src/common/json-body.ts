import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiProblemException, validationProblem } from './errors/api-problem.exception.js';
import { BODY_FIELD, findUnsafe } from './unsafe-input.js';

/** Arrays and objects inside each other; no DTO of this API comes near it. */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether arrays and objects nest deeper than `limit`: one pass over the raw bytes, skipping
 * strings and their escapes, stopping at the first level too many. UTF-8 continuation bytes are
 * all >= 0x80, so no character of a string can pass for a bracket or a quote.
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) {
        i++;
      } else if (byte === QUOTE) {
        inString = false;
      }
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) {
        return true;
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function declaredCharset(request: FastifyRequest): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
}

const bodyError = (message: string) => validationProblem([{ field: BODY_FIELD, message: `${BODY_FIELD} ${message}` }]);

/**
 * The API's only body parser, for `application/json` (RFC 8259: UTF-8): every other type, form
 * posts included, answers 415. Before JSON.parse sees a byte, the nesting depth is checked; after
 * it, every string is checked to be storable as sent (findUnsafe). An empty body is no body, so a
 * bodyless route ignores a stray `content-type: application/json`, and a route that needs a body
 * refuses it in the validation pipe.
 */
export function useJsonBodyParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    const charset = declaredCharset(request);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new ApiProblemException(415, 'Unsupported charset: send application/json in UTF-8.'), undefined);
      return;
    }
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      done(bodyError(`must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep`), undefined);
      return;
    }
    let text: string;
    try {
      text = strictUtf8.decode(body);
    } catch {
      done(bodyError('must be valid UTF-8'), undefined);
      return;
    }
    parseJson.call(fastify, request, text, (error, parsed) => {
      if (error) {
        done(error, undefined);
        return;
      }
      const unsafe = findUnsafe(parsed);
      if (unsafe.length > 0) {
        done(validationProblem(unsafe), undefined);
        return;
      }
      done(null, parsed);
    });
  });
}
