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
  ])('names %s when its value %p is invalid', (variable, value) => {
    expect(() => validateEnvironment({ [variable]: value })).toThrow(new RegExp(`^[\\s\\S]*${variable}:`));
  });
});
