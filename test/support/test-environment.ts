import 'reflect-metadata';

// Every test file runs the app the way production does, pointed at the test database.
process.env.NODE_ENV = 'test';
if (process.env.TEST_DATABASE_URL) {
  process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
}
process.env.MIGRATE_ON_START = 'true';
// Cost 10 (the minimum allowed) keeps the suite fast; production defaults to 12.
process.env.BCRYPT_COST ??= '10';
// Every suite registers its accounts from one address (inject's 127.0.0.1), several at once in
// places; the registration limit and the hashing queue have suites of their own with small values.
process.env.REGISTER_LIMIT_PER_HOUR ??= '1000000';
process.env.PASSWORD_HASH_QUEUE ??= '10000';
// Webhook tests deliver to receivers on 127.0.0.1, and every URL a test gives a webhook is a loopback
// one (the fuzzer's too): no test leads the server to connect anywhere else.
process.env.WEBHOOK_ALLOW_PRIVATE ??= 'true';
