import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAppWithEnv } from './faults/support.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * The address every per-address count keys on (src/common/client-address.ts), observed where it
 * is stored: the login throttle's `client:<address>` rows after a failed login.
 */
const PROXY = '203.0.113.10';
let direct: NestFastifyApplication;

beforeAll(async () => {
  direct = await createTestApp();
  await truncateAll(direct);
});

afterAll(async () => {
  await direct.close();
});

beforeEach(async () => {
  await direct.get(MikroORM).em.fork().getConnection().execute('truncate table login_throttles');
});

/** Fails one login through `app` and answers the client keys the throttle counted. */
async function countedFor(app: NestFastifyApplication, remoteAddress: string, forwardedFor?: string): Promise<string[]> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: `nobody_${Math.random().toString(36).slice(2)}`, password: 'a wrong password' },
    remoteAddress,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
  expect(response.statusCode).toBe(401);
  const rows = (await app
    .get(MikroORM)
    .em.fork()
    .getConnection()
    .execute(`select key from login_throttles where key like 'client:%' order by key`)) as Array<{ key: string }>;
  await app.get(MikroORM).em.fork().getConnection().execute('truncate table login_throttles');
  return rows.map((row) => row.key);
}

describe('without TRUST_PROXY', () => {
  it('counts the socket peer and ignores X-Forwarded-For', async () => {
    expect(await countedFor(direct, '192.0.2.1', '198.51.100.1')).toEqual(['client:192.0.2.1']);
  });

  it('counts an IPv4-mapped IPv6 peer as its IPv4 address', async () => {
    expect(await countedFor(direct, '::ffff:192.0.2.7')).toEqual(['client:192.0.2.7']);
  });

  it('counts an IPv6 peer by its /64', async () => {
    expect(await countedFor(direct, '2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toEqual(['client:2001:db8:1:2::/64']);
    expect(await countedFor(direct, '2001:db8:1:2::1')).toEqual(['client:2001:db8:1:2::/64']);
  });
});

describe('with TRUST_PROXY set to the proxy address', () => {
  let behindProxy: NestFastifyApplication;

  beforeAll(async () => {
    behindProxy = await createAppWithEnv({ TRUST_PROXY: `${PROXY}, 10.0.0.0/8` });
  });

  afterAll(async () => {
    await behindProxy.close();
  });

  it("counts the address the proxy adds, not a client's forged leading entries", async () => {
    expect(await countedFor(behindProxy, PROXY, '198.51.100.7')).toEqual(['client:198.51.100.7']);
    expect(await countedFor(behindProxy, PROXY, '192.0.2.66, 198.51.100.7')).toEqual(['client:198.51.100.7']);
    // A second trusted hop (10.0.0.0/8) is skipped over too.
    expect(await countedFor(behindProxy, PROXY, '192.0.2.66, 198.51.100.7, 10.1.2.3')).toEqual(['client:198.51.100.7']);
  });

  it('counts forwarded IPv6 clients by /64 and IPv4-mapped ones as IPv4', async () => {
    expect(await countedFor(behindProxy, PROXY, '2001:db8:9:9::1234')).toEqual(['client:2001:db8:9:9::/64']);
    expect(await countedFor(behindProxy, PROXY, '::ffff:198.51.100.8')).toEqual(['client:198.51.100.8']);
  });

  it('ignores X-Forwarded-For from any other peer', async () => {
    expect(await countedFor(behindProxy, '192.0.2.50', '198.51.100.9')).toEqual(['client:192.0.2.50']);
  });
});

describe('with TRUST_PROXY set to a hop count', () => {
  it('takes the entry that many hops from the socket, whoever connects', async () => {
    const oneHop = await createAppWithEnv({ TRUST_PROXY: '1' });
    try {
      expect(await countedFor(oneHop, PROXY, '192.0.2.66, 198.51.100.10')).toEqual(['client:198.51.100.10']);
    } finally {
      await oneHop.close();
    }
  });
});

describe('TRUST_PROXY=true', () => {
  it('stops the app at boot with a message naming the variable', async () => {
    await expect(createAppWithEnv({ TRUST_PROXY: 'true' })).rejects.toThrow(/TRUST_PROXY is refused: true would trust every/);
  });
});
