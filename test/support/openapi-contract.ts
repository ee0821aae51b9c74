import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';

/** The parts of an OpenAPI 3.0 document these tests read. */
export type Schema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Schema;
}

export interface OpenApiResponse {
  description?: string;
  content?: Record<string, { schema?: Schema }>;
}

export interface OpenApiOperation {
  security?: Array<Record<string, string[]>>;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Schema> };
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Operation {
  /** `post /api/v1/tasks/{id}/toggle` */
  key: string;
  method: HttpMethod;
  path: string;
  operation: OpenApiOperation;
  /** No security requirement: the route answers without a token. */
  isPublic: boolean;
  /** The JSON request body schema, $ref resolved, when the operation takes one. */
  bodySchema?: Schema;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export async function fetchDocument(app: NestFastifyApplication): Promise<OpenApiDocument> {
  const response = await app.inject({ method: 'GET', url: '/docs-json' });
  if (response.statusCode !== 200) {
    throw new Error(`GET /docs-json answered ${response.statusCode}`);
  }
  return response.json();
}

export function resolve(document: OpenApiDocument, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') {
    return schema;
  }
  const name = ref.replace('#/components/schemas/', '');
  const target = document.components.schemas[name];
  if (!target) {
    throw new Error(`unresolvable $ref ${ref}`);
  }
  return resolve(document, target);
}

/** Every operation of the document, in document order. */
export function listOperations(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]) => {
        const bodySchema = operation.requestBody?.content['application/json']?.schema;
        return {
          key: `${method} ${path}`,
          method: method.toUpperCase() as HttpMethod,
          path,
          operation,
          isPublic: (operation.security ?? []).length === 0,
          bodySchema: bodySchema ? resolve(document, bodySchema) : undefined,
        };
      }),
  );
}

/** The path with its `{param}`s replaced (URL-encoded unless `raw`). */
export function fillPath(path: string, id: string, raw = false): string {
  return path.replace(/\{[^}]+\}/g, raw ? id : encodeURIComponent(id));
}

/** The resource an `{id}` path addresses: the segment just before `{id}` (tasks, categories, sessions). */
export function resourceOf(path: string): string | undefined {
  return /\/([^/]+)\/\{id\}/.exec(path)?.[1];
}

const SCHEMA_ID = 'openapi.json';

/**
 * OpenAPI 3.0 schema -> JSON Schema for ajv: `nullable: true` becomes a `null` type (or an anyOf
 * around a $ref or an allOf), `example` is dropped, refs point into the registered document. With
 * `closeObjects`, an object listing its properties admits no others: a response carrying an
 * undocumented field (a hash, an owner id) fails.
 */
export function toJsonSchema(node: unknown, closeObjects: boolean): unknown {
  if (Array.isArray(node)) {
    return node.map((item) => toJsonSchema(item, closeObjects));
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'example' || key === 'examples' || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith('#/') ? `${SCHEMA_ID}${value}` : value;
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, property]) => [name, toJsonSchema(property, closeObjects)]),
      );
    } else {
      out[key] = toJsonSchema(value, closeObjects);
    }
  }
  if (closeObjects && out.type === 'object' && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (source.nullable === true) {
    if (out.$ref) {
      return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
    }
    // A nullable reference as Nest writes it ({type: object, nullable, allOf: [$ref]}): the object, or null.
    if (out.allOf) {
      return { anyOf: [out, { type: 'null' }] };
    }
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export interface ContractChecker {
  /** Every way the response breaks the operation's contract; empty when it keeps it. */
  violations(operation: Operation, response: LightMyRequestResponse): string[];
  problemValidator: ValidateFunction;
}

export function createContractChecker(document: OpenApiDocument): ContractChecker {
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
    ajv: Ajv,
  ) => Ajv;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: SCHEMA_ID, components: { schemas: toJsonSchema(document.components.schemas, true) } });
  const cache = new Map<string, ValidateFunction>();
  const compile = (cacheKey: string, schema: Schema) => {
    let validate = cache.get(cacheKey);
    if (!validate) {
      validate = ajv.compile(toJsonSchema(schema, true) as Schema);
      cache.set(cacheKey, validate);
    }
    return validate;
  };
  const problemValidator = compile('ProblemSchema', { $ref: '#/components/schemas/ProblemSchema' });

  const violations = (operation: Operation, response: LightMyRequestResponse): string[] => {
    const status = response.statusCode;
    const problems: string[] = [];
    if (status >= 500) {
      problems.push(`server error ${status}`);
    }
    const documented = operation.operation.responses[String(status)];
    // No allowance for "generic" statuses: the document lists 401, 413-415, 429 and 503 wherever
    // they can occur (src/openapi.ts), so a client generated from it knows every answer.
    if (!documented && status < 500) {
      problems.push(`status ${status} is not documented (documented: ${Object.keys(operation.operation.responses).join(', ')})`);
    }
    const contentType = String(response.headers['content-type'] ?? '');
    if (status === 204 || status === 304) {
      if (response.rawPayload.length > 0) problems.push(`${status} with a body`);
      return problems;
    }
    const content = documented?.content ?? (status >= 400 ? { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/ProblemSchema' } } } : undefined);
    if (!content) {
      return problems; // nothing documented about the body (e.g. /health/live)
    }
    const mediaTypes = Object.keys(content);
    const mediaType = mediaTypes.find((type) => contentType.startsWith(type));
    if (!mediaType) {
      problems.push(`content-type "${contentType}" is not one of ${mediaTypes.join(', ')}`);
      return problems;
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      problems.push('body is not JSON');
      return problems;
    }
    const schema = content[mediaType].schema;
    if (schema) {
      const validate = compile(`${operation.key} ${status} ${mediaType}`, schema);
      if (!validate(body)) {
        problems.push(`body does not match the ${status} schema: ${ajv.errorsText(validate.errors)}`);
      }
    }
    if (mediaType === PROBLEM_MEDIA_TYPE && (body as { status?: unknown }).status !== status) {
      problems.push(`problem status ${(body as { status?: unknown }).status} differs from HTTP status ${status}`);
    }
    return problems;
  };
  return { violations, problemValidator };
}
