import { addressProblem, isPublicAddress, literalHostProblem, urlProblem } from './webhook-address.js';

// The check itself, never a request: nothing here opens a connection.
describe('isPublicAddress', () => {
  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback, elsewhere in 127/8', '127.10.0.1'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.31.255.255'],
    ['private 192.168/16', '192.168.0.10'],
    ['link-local, the cloud metadata service', '169.254.169.254'],
    ['carrier-grade NAT, Alibaba Cloud metadata', '100.100.100.200'],
    ['unspecified', '0.0.0.0'],
    ['broadcast', '255.255.255.255'],
    ['multicast', '224.0.0.1'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 unique local, AWS metadata', 'fd00:ec2::254'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
    ['not an address', 'localhost'],
  ])('refuses %s (%s)', (_label, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    ['a public IPv4', '93.184.216.34'],
    ['a public IPv6', '2606:2800:220:1:248:1893:25c8:1946'],
    ['IPv4-mapped public', '::ffff:93.184.216.34'],
  ])('accepts %s (%s)', (_label, address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('urlProblem', () => {
  it.each([
    ['not a URL', 'hooks.example.com/path'],
    ['another scheme', 'ftp://hooks.example.com/'],
    ['a file URL', 'file:///etc/passwd'],
    ['credentials', 'https://user:secret@hooks.example.com/'],
  ])('refuses %s', (_label, url) => {
    expect(urlProblem(url)).toEqual(expect.any(String));
  });

  it('accepts http and https URLs', () => {
    expect(urlProblem('https://hooks.example.com/tasktracker?x=1')).toBeNull();
    expect(urlProblem('http://93.184.216.34:8080/')).toBeNull();
  });
});

describe('addressProblem and literalHostProblem on IP literals (no DNS)', () => {
  it.each(['http://127.0.0.1:9/', 'http://[::1]/', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.5/', 'http://[::ffff:7f00:1]/'])(
    'refuses %s',
    async (url) => {
      expect(await addressProblem(new URL(url), false)).toMatch(/public/);
      expect(literalHostProblem(new URL(url), false)).toEqual(expect.any(String));
    },
  );

  it('allows them with WEBHOOK_ALLOW_PRIVATE', async () => {
    expect(await addressProblem(new URL('http://127.0.0.1:9/'), true)).toBeNull();
    expect(literalHostProblem(new URL('http://127.0.0.1:9/'), true)).toBeNull();
  });

  it('accepts a public literal', async () => {
    expect(await addressProblem(new URL('http://93.184.216.34/'), false)).toBeNull();
  });
});
