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
  });

  it('converts numbers and booleans from strings', () => {
    const environment = validateEnvironment({ DATABASE_POOL_SIZE: '4', MIGRATE_ON_START: 'true' });
    expect(environment.DATABASE_POOL_SIZE).toBe(4);
    expect(environment.MIGRATE_ON_START).toBe(true);
  });

  it.each([
    ['DATABASE_POOL_SIZE', 'ten'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['BCRYPT_COST', '8'],
    ['SESSION_TTL', 'forever'],
    ['PORT', '70000'],
    ['MIGRATE_ON_START', 'maybe'],
  ])('names %s when its value %p is invalid', (variable, value) => {
    expect(() => validateEnvironment({ [variable]: value })).toThrow(new RegExp(`^[\\s\\S]*${variable}:`));
  });
});
