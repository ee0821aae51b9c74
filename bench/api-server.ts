/**
 * Child process: the real application (createApp from src/app.setup.ts, every global guard,
 * pipe, filter and hook) on a loopback port. The environment comes from the harness
 * (bench/processes.ts): NODE_ENV=production, DATABASE_URL, LOG_LEVEL, RATE_LIMIT_PER_MINUTE.
 */
import 'reflect-metadata';
import { createApp } from '../src/app.setup.js';
import { serveUntilDisconnected } from './child.js';

const app = await createApp();
await app.listen(0, '127.0.0.1');
serveUntilDisconnected(app.getHttpServer().address(), () => app.close());
