import { validateEnvironment } from './environment.js';

describe('validateEnvironment', () => {
  it('applies the documented defaults', () => {
    const environment = validateEnvironment({});
    expect(environment.PORT).toBe(3000);
    expect(environment.DATABASE_POOL_SIZE).toBe(10);
    expect(environment.DATABASE_MAX_OVERFLOW).toBe(20);
    expect(environment.BCRYPT_COST).toBe(12);
    expect(environment.SESSION_TTL).toBe('12h');
    expect(environment.DATABASE_URL).toBeUndefined();
    expect(environment.TRUST_PROXY).toBe('false');
    expect(environment.REGISTER_LIMIT_PER_HOUR).toBe(20);
    expect(environment.PASSWORD_HASH_CONCURRENCY).toBeGreaterThanOrEqual(1);
    expect(environment.PASSWORD_HASH_CONCURRENCY).toBeLessThanOrEqual(4);
    expect(environment.PASSWORD_HASH_QUEUE).toBe(16);
  });

  it('accepts a hop count or proxy addresses/CIDRs for TRUST_PROXY', () => {
    expect(validateEnvironment({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe('1');
    expect(validateEnvironment({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toBe('10.0.0.0/8, 127.0.0.1');
  });

  it('converts numbers and booleans from strings', () => {
    const environment = validateEnvironment({ DATABASE_POOL_SIZE: '4', MIGRATE_ON_START: 'true' });
    expect(environment.DATABASE_POOL_SIZE).toBe(4);
    expect(environment.MIGRATE_ON_START).toBe(true);
  });

  it('accepts a comma-separated list of replica URLs', () => {
    const urls = 'postgres://reader@replica-1:5432/tasktracker, postgresql://reader@replica-2/tasktracker?sslmode=require';
    expect(validateEnvironment({ DATABASE_REPLICA_URLS: urls }).DATABASE_REPLICA_URLS).toBe(urls);
  });

  it.each([
    ['DATABASE_POOL_SIZE', 'ten'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_REPLICA_URLS', 'postgres://replica/db,,postgres://other/db'],
    ['DATABASE_REPLICA_URLS', 'postgres://replica:5433'],
    ['BCRYPT_COST', '8'],
    ['SESSION_TTL', 'forever'],
    ['PORT', '70000'],
    ['MIGRATE_ON_START', 'maybe'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['REGISTER_LIMIT_PER_HOUR', '0'],
    ['PASSWORD_HASH_CONCURRENCY', '0'],
    ['PASSWORD_HASH_QUEUE', '-1'],
  ])('names %s when its value %p is invalid', (variable, value) => {
    expect(() => validateEnvironment({ [variable]: value })).toThrow(new RegExp(`^[\\s\\S]*${variable}:`));
  });
});
