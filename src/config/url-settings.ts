import { ValidateBy } from 'class-validator';

const POSTGRES_PROTOCOLS = new Set(['postgres:', 'postgresql:']);
const HTTP_PROTOCOLS = new Set(['http:', 'https:']);

function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** postgres://user:password@host:5432/database: a host and exactly one path segment, the database. */
export function isPostgresUrl(value: unknown): boolean {
  const url = typeof value === 'string' ? parsedUrl(value) : undefined;
  return (
    url !== undefined &&
    POSTGRES_PROTOCOLS.has(url.protocol) &&
    url.host !== '' &&
    url.pathname.length > 1 &&
    !url.pathname.slice(1).includes('/')
  );
}

/** Items of a comma-separated setting, trimmed; an empty item (`a,,b`) stays in to be refused. */
function listItems(value: unknown): string[] | undefined {
  return typeof value === 'string' ? value.split(',').map((item) => item.trim()) : undefined;
}

/** A URL that can sit in a comma-separated list: no whitespace or comma inside. */
const isListedPostgresUrl = (item: string) => !/[\s,]/.test(item) && isPostgresUrl(item);

const isHttpOrigin = (item: string) => {
  const url = parsedUrl(item);
  return url !== undefined && HTTP_PROTOCOLS.has(url.protocol) && !/\s/.test(item);
};

// URLs are checked by parsing them (WHATWG URL), not by regular expressions: no pattern to get
// wrong, and none that backtracks on a long value.
export const IsPostgresUrl = (message: string) =>
  ValidateBy({ name: 'isPostgresUrl', validator: { validate: isPostgresUrl, defaultMessage: () => message } });

export const IsPostgresUrlList = (message: string) =>
  ValidateBy({
    name: 'isPostgresUrlList',
    validator: { validate: (value) => listItems(value)?.every(isListedPostgresUrl) ?? false, defaultMessage: () => message },
  });

export const IsHttpOriginList = (message: string) =>
  ValidateBy({
    name: 'isHttpOriginList',
    validator: { validate: (value) => listItems(value)?.every(isHttpOrigin) ?? false, defaultMessage: () => message },
  });
