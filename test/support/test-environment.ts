import 'reflect-metadata';

// Every test file runs the app the way production does, pointed at the test database.
process.env.NODE_ENV = 'test';
if (process.env.TEST_DATABASE_URL) {
  process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
}
process.env.MIGRATE_ON_START = 'true';
// Cost 10 (the minimum allowed) keeps the suite fast; production defaults to 12.
process.env.BCRYPT_COST ??= '10';
