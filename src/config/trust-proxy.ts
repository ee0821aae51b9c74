import { ValidateBy } from 'class-validator';
import ipaddr from 'ipaddr.js';

/** Which proxies may set X-Forwarded-For: none, the nearest N hops, or these addresses/CIDRs. */
export type TrustProxy = false | { hops: number } | { addresses: string[] };

export const MAX_TRUSTED_HOPS = 10;
/** Names @fastify/proxy-addr expands itself (127.0.0.1/8 and ::1, fe80::/10..., fc00::/7...). */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isAddressOrRange = (entry: string) =>
  NAMED_RANGES.has(entry) || ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry);

/**
 * TRUST_PROXY: unset, `false` or `0` trusts no proxy (request.ip is the socket's peer); a hop
 * count `1`..`10` trusts that many proxies in front of the instance, whoever connects; a
 * comma-separated list of addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal` trusts
 * X-Forwarded-For only from those peers. `true` (trust every hop) is refused: it lets any client
 * choose the address that rate limits and login throttling count. Throws a message on a bad value.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false' || text === '0') {
    return false;
  }
  if (text === 'true') {
    throw new Error(
      'true would trust every X-Forwarded-For entry, so any client could choose its counted address: ' +
        'give the proxies\' addresses/CIDRs (e.g. 10.0.0.0/24) or a hop count (e.g. 1)',
    );
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_TRUSTED_HOPS) {
      throw new Error(`a hop count must be between 0 and ${MAX_TRUSTED_HOPS}`);
    }
    return { hops };
  }
  const addresses = text.split(',').map((entry) => entry.trim());
  const invalid = addresses.filter((entry) => !isAddressOrRange(entry));
  if (invalid.length > 0) {
    throw new Error(`not an address, CIDR or loopback/linklocal/uniquelocal: ${invalid.map((entry) => `"${entry}"`).join(', ')}`);
  }
  return { addresses };
}

/**
 * Fastify's `trustProxy` option. A hop count becomes a function: Fastify 5.12 ignores a numeric
 * trustProxy (it trusts no hop), so `hop < N` is how N hops are trusted, the socket's peer being hop 0.
 */
export function fastifyTrustProxy(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (!trust) {
    return false;
  }
  if ('hops' in trust) {
    const { hops } = trust;
    return (_address, hop) => hop < hops;
  }
  return trust.addresses;
}

/** The reason parseTrustProxy refuses a value, or undefined when it accepts it. */
function trustProxyProblem(value: unknown): string | undefined {
  try {
    parseTrustProxy(typeof value === 'string' ? value : String(value));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The Environment check of TRUST_PROXY: refused with parseTrustProxy's reason. */
export const IsTrustProxy = () =>
  ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => trustProxyProblem(value) === undefined,
      defaultMessage: (args) => `TRUST_PROXY is refused: ${trustProxyProblem(args?.value)}`,
    },
  });
