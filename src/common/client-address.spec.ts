import { countedAddress } from './client-address.js';

describe('countedAddress', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:c000:0207', '192.0.2.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8::/64'],
    ['::1', '::/64'],
  ])('counts %s as %s', (ip, expected) => {
    expect(countedAddress(ip)).toBe(expected);
  });

  it('counts every address of one /64 alike, and the next /64 apart', () => {
    expect(countedAddress('2001:db8:1:2::1')).toBe(countedAddress('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(countedAddress('2001:db8:1:3::1')).not.toBe(countedAddress('2001:db8:1:2::1'));
  });

  it('keeps what is not an address (no socket) rather than merging it with others', () => {
    expect(countedAddress(undefined)).toBe('unknown');
    expect(countedAddress('not-an-ip')).toBe('not-an-ip');
  });
});
