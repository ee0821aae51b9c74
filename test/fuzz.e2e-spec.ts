import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createContractChecker, fetchDocument, listOperations, type ContractChecker, type Operation } from './support/openapi-contract.js';
import { addViolation, formatCoverage, formatViolations, fuzzOperation, fuzzRuns, fuzzSeed, replayCommand, type OperationReport } from './support/fuzz-runner.js';
import { inconsistencies } from './support/fuzz-consistency.js';
import { FuzzWorld } from './support/fuzz-world.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * Property-based fuzzing of every operation in the OpenAPI document (fast-check): valid bodies
 * generated from each request schema and mutated ones (wrong types, missing and extra fields,
 * huge and odd Unicode strings, NUL bytes, lone surrogates, __proto__ keys, invalid dates, SQL and
 * script fragments, broken JSON, wrong content types), fuzzed query strings, path ids, conditional
 * headers and credentials, sent with real users' tokens and, often, real ids.
 *
 * Each answer must (a) not be a 5xx, (b) have a status the operation documents (shared ones such
 * as 401, 413/415 and 429 included: src/openapi.ts lists them), with a body valid against the
 * documented schema for that status and media type
 * (undocumented fields fail), and refuse what must be refused; (c) the data stays consistent.
 *
 * The seed is fixed, so every run sends the same requests; FUZZ_SEED=random draws a new one and
 * FUZZ_SEED=<n> replays one. The seed is in the test name, the log and every failure, with the
 * command to replay it (fuzzSeed and replayCommand in support/fuzz-runner.ts).
 */

const SEED = fuzzSeed();
const NUM_RUNS = fuzzRuns();
const REPLAY = replayCommand(SEED, NUM_RUNS);

let app: NestFastifyApplication;
let operations: Operation[];
let checker: ContractChecker;
let world: FuzzWorld;
const reports: OperationReport[] = [];

beforeAll(async () => {
  process.env.RATE_LIMIT_PER_MINUTE = '1000000';
  app = await createTestApp();
  await truncateAll(app);
  const document = await fetchDocument(app);
  operations = listOperations(document);
  checker = createContractChecker(document);
  world = new FuzzWorld(app);
  await world.setUp();
});

afterAll(async () => {
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await app.close();
});

describe(`fuzzing every operation of the OpenAPI document (FUZZ_SEED=${SEED}, ${NUM_RUNS} runs each)`, () => {
  // After the run, and with it when it is run alone (-t): what it reached and what it left behind.
  afterEach(async () => {
    expect(reports).toHaveLength(operations.length);
    // The walk is not only 4xx: every operation succeeded at least once, and refused at least once.
    const withoutSuccess = reports.filter((r) => !Object.keys(r.statuses).some((status) => Number(status) < 400)).map((r) => r.key);
    expect(withoutSuccess).toEqual([]);
    const withoutRefusal = reports.filter((r) => !r.key.includes('/health/') && !Object.keys(r.statuses).some((status) => Number(status) >= 400)).map((r) => r.key);
    expect(withoutRefusal).toEqual([]);
    // The data stays consistent: owners exist, categories match owners, completed_at iff completed, no stray users.
    expect(await inconsistencies(app, world.knownUserIds)).toEqual([]);
  });

  it('every answer keeps the documented contract: no 5xx, documented status, schema-valid body', async () => {
    console.log(`Fuzzing with FUZZ_SEED=${SEED}, ${NUM_RUNS} runs per operation. Replay: ${REPLAY}`);
    expect(operations.length).toBeGreaterThanOrEqual(20);
    // Deletions last, so the other operations find real ids to work on.
    const ordered = [...operations].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const operation of ordered) {
      const report = await fuzzOperation(world, checker, operation, { seed: SEED, numRuns: NUM_RUNS });
      if (!(await world.mainStillWorks())) {
        addViolation(report, "the fuzzing user's token stopped working after this operation: give it a caller of its own", '', NUM_RUNS, '');
      }
      reports.push(report);
    }
    console.log(formatCoverage(reports));
    expect(reports.map((r) => r.key).sort()).toEqual(operations.map((o) => o.key).sort());
    expect(reports.filter((r) => r.runs < NUM_RUNS).map((r) => [r.key, r.runs])).toEqual([]);
    const found = reports.reduce((sum, r) => sum + r.violations.size, 0);
    if (found > 0) {
      throw new Error(`Fuzzing found ${found} distinct contract violations (FUZZ_SEED=${SEED}):\n${formatViolations(reports, REPLAY)}`);
    }
  }, 600_000);

});
