import { ensureDatabaseExists, withDatabaseName } from '../support/test-database.js';
import { pollUntil, sleep, spawnServer, type ServerProcess } from './support.js';

let server: ServerProcess | undefined;

beforeAll(async () => {
  const databaseUrl = withDatabaseName(process.env.TEST_DATABASE_URL!, 'tasktracker_test_rejection');
  await ensureDatabaseExists(databaseUrl);
  server = await spawnServer({ DATABASE_URL: databaseUrl }, { preload: ['./test/faults/fixtures/stray-rejection.mjs'] });
}, 40_000);

afterAll(async () => {
  await server?.kill();
});

describe('an unhandled promise rejection in the real server', () => {
  it('is logged once at error level and the process keeps serving', async () => {
    expect(server!.child.kill('SIGUSR2')).toBe(true);
    const logged = await pollUntil(
      async () => {
        const lines = server!.stdout().split('\n').filter((line) => line.includes('stray rejection injected by the test'));
        if (lines.length === 0) {
          throw new Error('not logged yet');
        }
        return lines;
      },
      { timeoutMs: 10_000, what: 'the rejection in the log' },
    );
    await sleep(300);
    expect(server!.stdout().split('\n').filter((line) => line.includes('stray rejection injected by the test'))).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({ level: 50, context: 'UnhandledRejection' });
    expect(server!.child.exitCode).toBeNull();
    const health = await fetch(`${server!.baseUrl}/health/ready`);
    expect(health.status).toBe(200);
  });
});
