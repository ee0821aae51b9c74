import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAndLogin } from './support/accounts.js';
import { freshAddress, loginAttempt } from './support/login-attempts.js';
import { createAppWithEnv, LogCapture } from './faults/support.js';
import { truncateAll } from './support/test-app.js';

const logs = new LogCapture();
let app: NestFastifyApplication;

beforeAll(async () => {
  app = await createAppWithEnv({ LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: '2' }, logs);
  await truncateAll(app);
});

afterAll(async () => {
  await app.close();
});

const securityEvents = () => logs.entries().filter((entry) => typeof entry.event === 'string');

describe('security events', () => {
  it('logs failures, throttle hits, password changes, revocations and deletions with user id, address and request id, never a secret', async () => {
    const account = await registerAndLogin(app, { password: 'a very secret passphrase 42' });
    logs.clear();
    const address = freshAddress();

    await loginAttempt(app, account.username, 'wrong but secret 99', address);
    await loginAttempt(app, 'nobody_at_all', 'another secret 77', address);
    await loginAttempt(app, account.username, 'wrong but secret 98', address);
    const throttled = await loginAttempt(app, account.username, account.password, address);
    expect(throttled.statusCode).toBe(429);
    const other = freshAddress();
    const login = await loginAttempt(app, account.email, account.password, other);
    expect(login.statusCode).toBe(200);
    const token: string = login.json().accessToken;
    const auth = { authorization: `Bearer ${token}` };
    const wrongConfirmation = await app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers: auth, remoteAddress: other, payload: { currentPassword: 'not it at all 55', newPassword: 'the next secret phrase' } });
    expect(wrongConfirmation.statusCode).toBe(400);
    const changed = await app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers: auth, remoteAddress: other, payload: { currentPassword: account.password, newPassword: 'the next secret phrase' } });
    expect(changed.statusCode).toBe(204);
    // The password change revoked the registration's session: its logout is refused, and logs nothing.
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: account.auth })).statusCode).toBe(401);
    const deleted = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth, remoteAddress: other, payload: { password: 'the next secret phrase' } });
    expect(deleted.statusCode).toBe(204);

    const events = securityEvents();
    const requestId = (response: { headers: Record<string, unknown> }) => response.headers['x-request-id'];
    expect(events.map((entry) => entry.event)).toEqual([
      'login.failed',
      'login.failed',
      'login.failed',
      'throttle.hit',
      'login.succeeded',
      'password.confirmation.failed',
      'password.changed',
      'account.deleted',
    ]);
    expect(events[0]).toMatchObject({ userId: account.id, clientAddress: address, requestId: expect.any(String) });
    expect(events[1]).not.toHaveProperty('userId');
    expect(events[3]).toMatchObject({ userId: account.id, clientAddress: address, requestId: requestId(throttled), tiers: ['account-and-address'], action: 'login' });
    expect(events[4]).toMatchObject({ userId: account.id, clientAddress: other, requestId: requestId(login) });
    expect(events[5]).toMatchObject({ userId: account.id, action: 'password.change', requestId: requestId(wrongConfirmation) });
    expect(events[6]).toMatchObject({ userId: account.id, revokedSessions: 1, requestId: requestId(changed) });
    expect(events[7]).toMatchObject({ userId: account.id, clientAddress: other, requestId: requestId(deleted) });

    const everything = logs.lines.join('\n');
    for (const secret of [account.password, 'wrong but secret 99', 'another secret 77', 'not it at all 55', 'the next secret phrase', token, 'nobody_at_all']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('logs a session revocation, by logout or by id', async () => {
    const account = await registerAndLogin(app);
    const second = await registerAndLogin(app, {});
    logs.clear();
    const sessions = await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: account.auth });
    const sessionId: string = sessions.json().items[0].id;
    const logout = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: second.auth });
    expect(logout.statusCode).toBe(204);
    const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${sessionId}`, headers: account.auth });
    expect(revoked.statusCode).toBe(204);
    expect(securityEvents()).toEqual([
      expect.objectContaining({ event: 'session.revoked', reason: 'logout', userId: second.id, requestId: logout.headers['x-request-id'], clientAddress: '127.0.0.1' }),
      expect.objectContaining({ event: 'session.revoked', reason: 'revoked', userId: account.id, sessionId, requestId: revoked.headers['x-request-id'] }),
    ]);
  });
});

describe('Cache-Control: no-store on token and account answers', () => {
  it('is sent by register, login, sessions and users/me', async () => {
    const register = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: `cache.${Date.now()}@example.com`, username: `cache_${Date.now()}`, name: 'Cache', password: 'a passphrase for caching' } });
    expect(register.statusCode).toBe(201);
    const account = await registerAndLogin(app);
    const answers = [
      register,
      await loginAttempt(app, account.username, account.password, freshAddress()),
      await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: account.auth }),
      await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: account.auth }),
      await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: account.auth, payload: { name: 'Renamed' } }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBeLessThan(300);
      expect(answer.headers['cache-control']).toBe('no-store');
    }
    const tasks = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: account.auth });
    expect(tasks.headers['cache-control']).not.toBe('no-store');
  });
});
