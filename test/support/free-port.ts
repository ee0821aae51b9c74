import { createServer } from 'node:net';

/**
 * A loopback port free at the time of asking, for servers the tests and the benchmark start
 * (embedded PostgreSQL, API processes, the cluster). Jest's global setup imports this file too.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
