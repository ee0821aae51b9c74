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
    expect(environment.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS).toBe(10);
    expect(environment.LOGIN_FAILURES_PER_ADDRESS).toBe(100);
    expect(environment.LOGIN_FAILURES_PER_ACCOUNT).toBe(100);
    expect(environment.LOGIN_FAILURE_WINDOW).toBe('15m');
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
    ['LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS', '0'],
    ['LOGIN_FAILURES_PER_ADDRESS', 'many'],
    ['LOGIN_FAILURE_WINDOW', 'a while'],
  ])('names %s when its value %p is invalid', (variable, value) => {
    expect(() => validateEnvironment({ [variable]: value })).toThrow(new RegExp(`^[\\s\\S]*${variable}:`));
  });
});
