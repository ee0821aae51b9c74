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
    expect([environment.MAX_TASKS_PER_USER, environment.MAX_CATEGORIES_PER_USER, environment.MAX_SESSIONS_PER_USER]).toEqual([10_000, 1_000, 20]);
    expect(environment.HTTP_REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(environment.HTTP_HEADERS_TIMEOUT_MS).toBe(10_000);
    expect(environment.HTTP_KEEP_ALIVE_TIMEOUT_MS).toBe(72_000);
    expect(environment.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS).toBe(10);
    expect(environment.LOGIN_FAILURES_PER_ADDRESS).toBe(100);
    expect(environment.LOGIN_FAILURES_PER_ACCOUNT).toBe(100);
    expect(environment.LOGIN_FAILURE_WINDOW).toBe('15m');
    expect(environment.TRUST_PROXY).toBe('false');
    expect(environment.REGISTER_LIMIT_PER_HOUR).toBe(20);
    expect(environment.PASSWORD_HASH_CONCURRENCY).toBeGreaterThanOrEqual(1);
    expect(environment.PASSWORD_HASH_CONCURRENCY).toBeLessThanOrEqual(4);
    expect(environment.PASSWORD_HASH_QUEUE).toBe(16);
  });

  it('drains 5 s on SIGTERM in production and not at all elsewhere, unless SHUTDOWN_DRAIN_MS says otherwise', () => {
    expect(validateEnvironment({ NODE_ENV: 'production' }).SHUTDOWN_DRAIN_MS).toBe(5_000);
    expect(validateEnvironment({ NODE_ENV: 'development' }).SHUTDOWN_DRAIN_MS).toBe(0);
    expect(validateEnvironment({ NODE_ENV: 'test' }).SHUTDOWN_DRAIN_MS).toBe(0);
    expect(validateEnvironment({ NODE_ENV: 'production', SHUTDOWN_DRAIN_MS: '0' }).SHUTDOWN_DRAIN_MS).toBe(0);
    expect(validateEnvironment({ SHUTDOWN_DRAIN_MS: '2500' }).SHUTDOWN_DRAIN_MS).toBe(2_500);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() => validateEnvironment({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS:/);
  });

  it('accepts a hop count or proxy addresses/CIDRs for TRUST_PROXY', () => {
    expect(validateEnvironment({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe('1');
    expect(validateEnvironment({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toBe('10.0.0.0/8, 127.0.0.1');
  });

  it('lists every refused variable in one error, each with what it expects', () => {
    expect(() => validateEnvironment({ SESSION_TTL: 'forever', WEBHOOK_RETRY_SCHEDULE: '5s,later' })).toThrow(
      /SESSION_TTL: SESSION_TTL must be a duration such as 12h[\s\S]*WEBHOOK_RETRY_SCHEDULE: WEBHOOK_RETRY_SCHEDULE must be comma-separated durations/,
    );
  });

  it('converts numbers and booleans from strings', () => {
    const environment = validateEnvironment({ DATABASE_POOL_SIZE: '4', MIGRATE_ON_START: 'true' });
    expect(environment.DATABASE_POOL_SIZE).toBe(4);
    expect(environment.MIGRATE_ON_START).toBe(true);
  });

  it('accepts a database URL with credentials, port and query, and a list of CORS origins', () => {
    const url = 'postgresql://app:s3cr%40t@db.internal:6432/tasktracker?sslmode=require';
    const origins = 'https://app.example.com, http://localhost:5173';
    const environment = validateEnvironment({ DATABASE_URL: url, CORS_ORIGINS: origins });
    expect(environment.DATABASE_URL).toBe(url);
    expect(environment.CORS_ORIGINS).toBe(origins);
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
    ['DATABASE_URL', 'postgres://host/db/extra'],
    ['DATABASE_URL', 'postgres:///db'],
    ['CORS_ORIGINS', 'https://app.example.com,ftp://files.example.com'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['BCRYPT_COST', '8'],
    ['SESSION_TTL', 'forever'],
    ['PORT', '70000'],
    ['MIGRATE_ON_START', 'maybe'],
    ['MAX_TASKS_PER_USER', '0'],
    ['MAX_SESSIONS_PER_USER', 'twenty'],
    ['SHUTDOWN_DRAIN_MS', '-1'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '0'],
    ['HTTP_REQUEST_TIMEOUT_MS', 'soon'],
    ['LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS', '0'],
    ['LOGIN_FAILURES_PER_ADDRESS', 'many'],
    ['LOGIN_FAILURE_WINDOW', 'a while'],
    ['ACTIVITY_RETENTION', '90 days'],
    ['WEBHOOK_RETRY_SCHEDULE', '5s,,5m'],
    ['WEBHOOK_RETRY_SCHEDULE', 'soon'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['REGISTER_LIMIT_PER_HOUR', '0'],
    ['PASSWORD_HASH_CONCURRENCY', '0'],
    ['PASSWORD_HASH_QUEUE', '-1'],
  ])('names %s when its value %p is invalid', (variable, value) => {
    expect(() => validateEnvironment({ [variable]: value })).toThrow(new RegExp(`^[\\s\\S]*${variable}:`));
  });
});
