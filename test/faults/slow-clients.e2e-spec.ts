import { connect, type Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAppWithEnv, freePort, sleep, within } from './support.js';

/**
 * Slow and silent clients cannot hold a connection: the headers timeout cuts a slowloris client,
 * the request timeout a client trickling its body, the keep-alive timeout an idle connection.
 * Short values here; the production defaults are in .env.example.
 */
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/** Node sweeps for expired header and request timeouts once a second (app.setup.ts). */
const SWEEP_MS = 1_000;
/** Node closes an idle keep-alive socket this long after the timeout it advertises. */
const KEEP_ALIVE_BUFFER_MS = 1_000;
const SLACK_MS = 1_500;

let app: NestFastifyApplication;
let port: number;

beforeAll(async () => {
  app = await createAppWithEnv({
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
  });
  port = await freePort();
  await app.listen(port, '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
});

interface Cut {
  /** What the server sent before closing, as text. */
  received: string;
  /** Milliseconds from the connection to the server closing it. */
  closedAfterMs: number;
}

/** Opens a socket, lets `drive` write to it, and resolves when the server closes it (bounded). */
async function untilClosed(drive: (socket: Socket, closed: () => boolean) => Promise<void>, limitMs: number): Promise<Cut | undefined> {
  const socket = connect(port, '127.0.0.1');
  const openedAt = performance.now();
  let received = '';
  let isClosed = false;
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<Cut>((resolve) =>
    socket.on('close', () => {
      isClosed = true;
      resolve({ received, closedAfterMs: performance.now() - openedAt });
    }),
  );
  await new Promise((resolve) => socket.once('connect', resolve));
  void drive(socket, () => isClosed);
  const cut = await within(closed, limitMs);
  socket.destroy();
  return cut;
}

/** Writes `chunks` one at a time, `everyMs` apart, while the socket is open. */
async function trickle(socket: Socket, closed: () => boolean, chunks: string[], everyMs: number): Promise<void> {
  for (const chunk of chunks) {
    if (closed()) {
      return;
    }
    socket.write(chunk);
    await sleep(everyMs);
  }
}

describe('slow clients', () => {
  it('cuts a client sending its headers slowly (slowloris) after HTTP_HEADERS_TIMEOUT_MS with 408, though it never goes quiet', async () => {
    const headerLines = ['GET /health/live HTTP/1.1\r\nHost: localhost\r\n', ...Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: still sending\r\n`)];
    const cut = await untilClosed((socket, closed) => trickle(socket, closed, headerLines, 200), 10_000);
    expect(cut).toBeDefined();
    expect(cut!.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(cut!.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(cut!.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SWEEP_MS + SLACK_MS);
  });

  it('cuts a client trickling its body after HTTP_REQUEST_TIMEOUT_MS with 408', async () => {
    const body = JSON.stringify({ login: 'slow', password: 'x'.repeat(40) });
    const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const cut = await untilClosed((socket, closed) => trickle(socket, closed, [head, ...body.split('')], 200), 15_000);
    expect(cut).toBeDefined();
    expect(cut!.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(cut!.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(cut!.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SWEEP_MS + SLACK_MS);
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS, and says so in Keep-Alive', async () => {
    const cut = await untilClosed(async (socket) => {
      socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    }, 10_000);
    expect(cut).toBeDefined();
    expect(cut!.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(cut!.received).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
    expect(cut!.closedAfterMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(cut!.closedAfterMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS + SLACK_MS);
  });
});
