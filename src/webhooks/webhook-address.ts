import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Where a webhook may be delivered. Only addresses of the global unicast range: not loopback,
 * private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata
 * service at 169.254.169.254, fe80::/10), carrier-grade NAT (100.64/10, where some clouds put
 * theirs), unspecified, broadcast, multicast or reserved. IPv4-mapped IPv6 is judged as IPv4.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) {
    return false;
  }
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/** Why a URL cannot be a webhook's, or null when it can (before its host is resolved). */
export function urlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'url must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'url must use http or https';
  }
  if (url.username || url.password) {
    return 'url must not carry credentials';
  }
  return null;
}

/** The host of a URL without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves the URL's host and says why it may not be delivered to, or null. With `allowPrivate`
 * (WEBHOOK_ALLOW_PRIVATE, for tests and private networks) every address is allowed.
 */
export async function addressProblem(url: URL, allowPrivate: boolean): Promise<string | null> {
  if (allowPrivate) {
    return null;
  }
  const host = hostOf(url);
  const addresses = ipaddr.isValid(host)
    ? [host]
    : await dns.promises.lookup(host, { all: true, verbatim: true }).then(
        (found) => found.map((entry) => entry.address),
        () => null,
      );
  if (!addresses || addresses.length === 0) {
    return "url's host does not resolve";
  }
  return addresses.every(isPublicAddress) ? null : 'url must reach a public address: loopback, private, link-local and metadata addresses are refused';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses non-public answers: the address checked is the
 * address connected to, so a DNS answer that changes between a check and the connection
 * (rebinding) cannot reach an internal service.
 */
export function publicOnlyLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, found) => {
      if (error) {
        callback(error, []);
        return;
      }
      const allowed = allowPrivate ? found : found.filter((entry) => isPublicAddress(entry.address));
      if (allowed.length === 0) {
        callback(Object.assign(new Error(`${hostname} resolves to no public address`), { code: 'EADDRNOTPUBLIC' }), []);
        return;
      }
      if (options.all) {
        callback(null, allowed);
      } else {
        callback(null, allowed[0].address, allowed[0].family);
      }
    });
  };
}

/** An IP-literal host never goes through `lookup`: it is checked here before connecting. */
export function literalHostProblem(url: URL, allowPrivate: boolean): string | null {
  const host = hostOf(url);
  return !allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host) ? 'the address is not public' : null;
}
