import ipaddr from 'ipaddr.js';

const IPV6_PREFIX_HEXTETS = 4;

/**
 * The key every per-address count uses (rate limit, failed-authentication budget, registration
 * limit, login throttling), from `request.ip` (which TRUST_PROXY decides): an IPv4 address as
 * is, an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as its IPv4 address, and any other IPv6
 * address as its /64 (`2001:db8:1:2::/64`). One IPv6 subscriber usually holds a whole /64, so
 * counting single IPv6 addresses would give each of them 2^64 fresh budgets.
 */
export function countedAddress(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) {
    return ip || 'unknown';
  }
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') {
    return address.toString();
  }
  const parts = (address as ipaddr.IPv6).parts.map((part, i) => (i < IPV6_PREFIX_HEXTETS ? part : 0));
  return `${new ipaddr.IPv6(parts).toString()}/64`;
}
