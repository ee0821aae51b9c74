/**
 * Unit specs sit beside the code (src/**\/*.spec.ts); e2e specs in test/ boot the real app
 * against real PostgreSQL (see test/support/global-setup.ts).
 *
 * `npm test` collects V8 coverage of src/ and fails below the thresholds. They only mean
 * something for the whole suite, so a run narrowed by a path pattern or a test name
 * (`npm test -- test/auth`, `-t login`) reports coverage without enforcing them.
 * @type {import('jest').Config}
 */
const narrowed = process.argv.slice(2).some((arg) => !arg.startsWith('-') || /^(-t|--testNamePattern)\b/.test(arg));

export default {
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/test-environment.ts'],
  testTimeout: 60_000,
  coverageProvider: 'v8',
  // All of src/. What runs only in child processes (main.ts, the migration CLI, the seed, in the
  // shutdown and start-up tests) counts as uncovered: V8 coverage here sees this process only.
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts'],
  coverageReporters: ['text-summary', ['text', { skipFull: true }]],
  coverageThreshold: narrowed
    ? undefined
    : {
        global: { lines: 80 },
        './src/**/*.entity.ts': { lines: 90 },
      },
};
