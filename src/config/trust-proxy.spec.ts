import { fastifyTrustProxy, parseTrustProxy } from './trust-proxy.js';

describe('parseTrustProxy', () => {
  it.each([undefined, '', 'false', '0'])('trusts no proxy for %p', (value) => {
    expect(parseTrustProxy(value)).toBe(false);
  });

  it('reads a hop count', () => {
    expect(parseTrustProxy('2')).toEqual({ hops: 2 });
  });

  it('reads a list of addresses, CIDRs and named ranges', () => {
    expect(parseTrustProxy('10.0.0.5, 10.1.0.0/16,2001:db8::/32, loopback')).toEqual({
      addresses: ['10.0.0.5', '10.1.0.0/16', '2001:db8::/32', 'loopback'],
    });
  });

  it.each([['true', /every X-Forwarded-For entry/], ['11', /between 0 and 10/], ['10.0.0.0/33, proxy.local', /"10.0.0.0\/33", "proxy.local"/]])(
    'refuses %p',
    (value, message) => {
      expect(() => parseTrustProxy(value)).toThrow(message);
    },
  );
});

describe('fastifyTrustProxy', () => {
  it('trusts the first N hops for a hop count, the socket peer being hop 0', () => {
    const trust = fastifyTrustProxy({ hops: 1 }) as (address: string, hop: number) => boolean;
    expect(trust('192.0.2.1', 0)).toBe(true);
    expect(trust('192.0.2.1', 1)).toBe(false);
  });

  it('passes addresses through and nothing for no proxy', () => {
    expect(fastifyTrustProxy({ addresses: ['127.0.0.1'] })).toEqual(['127.0.0.1']);
    expect(fastifyTrustProxy(false)).toBe(false);
  });
});
