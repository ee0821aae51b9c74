import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { accountKeyOf } from '../../src/users/login-throttle.service.js';
import { validateEnvironment } from '../../src/config/environment.js';
import { newAccountData, type TestAccount } from './accounts.js';
import type { Operation } from './openapi-contract.js';
import { sql } from './openapi-fixtures.js';
import type { BodyCase } from './fuzz-bodies.js';
import { MarkerResolver } from './fuzz-markers.js';
import type { FuzzRequest } from './fuzz-requests.js';
import { isUuid, percentEncode, printable } from './fuzz-text.js';
import { Marker } from './fuzz-values.js';
import { pollUntil } from './wait.js';

export interface Account extends TestAccount {
  sessionId: string;
}

/** Operations that end the caller's session or account: they get callers of their own. */
const SESSION_ENDING = new Set(['post /api/v1/auth/logout']);
const ACCOUNT_CHANGING = new Set(['delete /api/v1/users/me', 'put /api/v1/users/me/password']);

export interface Sent {
  response: LightMyRequestResponse;
  description: string;
}

/**
 * The fuzzing users and their data: `main` calls most operations, `other` owns the ids that
 * must stay out of reach, and throwaway accounts absorb logout, password change and deletion.
 *
 * Sharing, set up through the API: `member` is an editor of a category of `main`'s and has tasks
 * in it, and `main` an editor of one of `member`'s, with tasks of both in each; `main` has a
 * pending invitation out (to `loginTarget`) and one in (from `member`). What the fuzz consumes
 * (the last membership of `main`'s categories, the last invitation to `main`, a category's last
 * invitation) is made again, through the API, when a request next needs it.
 */
export class FuzzWorld {
  readonly knownUserIds = new Set<string>();
  main!: Account;
  other!: Account;
  /** A member of main's shared categories, and the owner of the categories main is invited to. */
  member!: Account;
  /** Whose credentials the login markers name. */
  loginTarget!: Account;
  private logoutUser!: Account;
  private throwaway?: Account;
  private fixtures = 0;
  /** What a request's markers stand for, looked up when it is sent. */
  private readonly markers: MarkerResolver;

  constructor(private readonly app: NestFastifyApplication) {
    this.markers = new MarkerResolver(app, this);
  }

  async setUp(): Promise<void> {
    this.main = await this.newAccount();
    this.other = await this.newAccount();
    this.loginTarget = await this.newAccount();
    this.logoutUser = await this.newAccount();
    const post = (account: Account, url: string, payload: unknown) =>
      this.app.inject({ method: 'POST', url, headers: account.auth, payload: payload as object });
    for (const account of [this.main, this.other]) {
      const category = (await post(account, '/api/v1/categories', { name: 'Seed' })).json();
      await post(account, '/api/v1/tasks', { title: 'Seed task', categoryId: category.id, dueDate: '2020-01-01T00:00:00Z', labels: [account === this.main ? 'Main seed' : 'Other seed', 'both'] });
      const trashed = (await post(account, '/api/v1/tasks', { title: 'Seed trash' })).json();
      await this.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${trashed.id}`, headers: account.auth });
      await this.mintSession(account.id);
      // A webhook to a closed loopback port: its failed attempts give the deliveries routes ids.
      await post(account, '/api/v1/webhooks', { url: 'http://127.0.0.1:9/fuzz-seed', events: ['task.*'] });
      await post(account, '/api/v1/tasks', { title: 'Seed delivery' });
    }
    this.member = await this.newAccount();
    await this.shareWithMember();
    // main in member's category: tasks main reads and writes without owning them.
    const joined = await this.inviteMain();
    await this.call(this.main, 'POST', `/api/v1/invitations/${joined.invitationId}/accept`, undefined, 200);
    await this.call(this.member, 'POST', '/api/v1/tasks', { title: 'Member task in their category', categoryId: joined.categoryId, assigneeId: this.main.id }, 201);
    await this.call(this.main, 'POST', '/api/v1/tasks', { title: 'Main task in a joined category', categoryId: joined.categoryId, assigneeId: this.member.id }, 201);
    // Pending both ways: one sent by main, one addressed to main.
    const [shared] = await this.markers.sharedCategoryIds();
    await this.call(this.main, 'POST', `/api/v1/categories/${shared}/invitations`, { login: this.loginTarget.username, role: 'viewer' }, 201);
    await this.inviteMain();
    await pollUntil(async () => ((await sql(this.app, 'select 1 from webhook_attempts limit 1')).length > 0 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'a first webhook attempt',
    });
  }

  /** One request that must answer `expected`: fixtures are made through the API, as a client would. */
  async call(account: Account, method: 'POST' | 'DELETE', url: string, payload: object | undefined, expected: number): Promise<Record<string, unknown>> {
    const response = await this.app.inject({ method, url, headers: account.auth, ...(payload ? { payload } : {}) });
    if (response.statusCode !== expected) {
      throw new Error(`fuzz fixture: ${method} ${url} answered ${response.statusCode}, not ${expected}: ${printable(response.body, 600)}`);
    }
    return response.body ? response.json() : {};
  }

  /** A category of the account's own, under a name no fuzzed one takes. */
  private async newCategory(account: Account, label: string): Promise<string> {
    return (await this.call(account, 'POST', '/api/v1/categories', { name: `${label} ${++this.fixtures} ${randomBytes(3).toString('hex')}` }, 201)).id as string;
  }

  /**
   * A new category of main's, `member` an editor of it (invited by username, accepted), with a task
   * member created and assigned to themself and one main created and assigned to member.
   */
  async shareWithMember(): Promise<void> {
    const categoryId = await this.newCategory(this.main, 'Shared');
    const invitation = await this.call(this.main, 'POST', `/api/v1/categories/${categoryId}/invitations`, { login: this.member.username, role: 'editor' }, 201);
    await this.call(this.member, 'POST', `/api/v1/invitations/${invitation.id}/accept`, undefined, 200);
    await this.call(this.member, 'POST', '/api/v1/tasks', { title: 'Member task in a shared category', categoryId, assigneeId: this.member.id }, 201);
    await this.call(this.main, 'POST', '/api/v1/tasks', { title: 'Main task for the member', categoryId, assigneeId: this.member.id, dueDate: '2020-01-01T00:00:00Z' }, 201);
  }

  /** A new category of member's and a pending invitation of main to it, by username or e-mail address in turn (as they are now). */
  async inviteMain(): Promise<{ categoryId: string; invitationId: string }> {
    const categoryId = await this.newCategory(this.member, 'Invite');
    await this.call(this.member, 'POST', '/api/v1/tasks', { title: 'Member task behind an invitation', categoryId }, 201);
    const [me] = await sql<{ username: string; email: string }>(this.app, 'select username, email from users where id = ?', [this.main.id]);
    const login = this.fixtures % 2 === 0 ? me.username : me.email;
    const invitation = await this.call(this.member, 'POST', `/api/v1/categories/${categoryId}/invitations`, { login, role: this.fixtures % 3 === 0 ? 'viewer' : 'editor' }, 201);
    return { categoryId, invitationId: invitation.id as string };
  }

  /** A pending invitation to one of main's categories, for an address nobody has. */
  async inviteNewAddress(categoryId: string): Promise<void> {
    await this.call(this.main, 'POST', `/api/v1/categories/${categoryId}/invitations`, { login: `fuzz.invitee.${++this.fixtures}@example.com`, role: 'viewer' }, 201);
  }

  /** Registered through the API; its session is minted (a login would cost a second bcrypt run). */
  private async newAccount(): Promise<Account> {
    const data = newAccountData();
    const registered = await this.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: data });
    if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.statusCode} ${registered.body}`);
    const id: string = registered.json().id;
    this.knownUserIds.add(id);
    const { token, sessionId } = await this.mintSession(id);
    return { id, ...data, token, auth: { authorization: `Bearer ${token}` }, sessionId };
  }

  /** A fresh session straight in the table, as a login would make it. */
  private async mintSession(userId: string): Promise<{ token: string; sessionId: string }> {
    const token = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(token, 'utf8').digest('hex');
    const [row] = await sql<{ id: string }>(this.app, `insert into sessions (user_id, token_hash, expires_at, user_agent) values (?, ?, now() + interval '1 hour', 'fuzz-minted') returning id::text`, [userId, hash]);
    return { token, sessionId: row.id };
  }

  private async callerFor(operation: Operation): Promise<Account | undefined> {
    if (operation.isPublic) return undefined;
    if (SESSION_ENDING.has(operation.key)) {
      const { token, sessionId } = await this.mintSession(this.logoutUser.id);
      return { ...this.logoutUser, token, sessionId, auth: { authorization: `Bearer ${token}` } };
    }
    if (ACCOUNT_CHANGING.has(operation.key)) {
      // Wrong passwords lock an account for a while (the login throttle): a locked one is
      // replaced, so both 429 and the success path stay reachable.
      if (!this.throwaway || (await this.isLocked(this.throwaway))) {
        this.throwaway = await this.newAccount();
      }
      return this.throwaway;
    }
    const [{ n }] = await sql<{ n: number }>(this.app, 'select count(*)::int as n from sessions where user_id = ? and id <> ?', [this.main.id, this.main.sessionId]);
    if (n < 2) await this.mintSession(this.main.id);
    return this.main;
  }

  private async isLocked(account: Account): Promise<boolean> {
    // Requests come from random addresses, so it is the account-wide ceiling that locks it.
    const [row] = await sql<{ failures: number }>(this.app, 'select failures from login_throttles where key = ?', [accountKeyOf({ userId: account.id })]);
    return (row?.failures ?? 0) >= validateEnvironment(process.env).LOGIN_FAILURES_PER_ACCOUNT;
  }

  async send(operation: Operation, request: FuzzRequest): Promise<Sent> {
    const caller = await this.callerFor(operation);
    const pathId = request.pathId instanceof Marker ? await this.markers.resolve(request.pathId, caller, undefined) : request.pathId;
    let url = operation.path;
    if (request.subId !== undefined) {
      const subId = request.subId instanceof Marker ? await this.markers.resolve(request.subId, caller, pathId) : request.subId;
      url = url.replace(/\{(userId|invitationId)\}/, percentEncode(subId));
    }
    if (pathId !== undefined) url = url.replace(/\{(id|name)\}/, request.rawPathId ? pathId : percentEncode(pathId));
    if (url.includes('{deliveryId}')) {
      // The webhook's first attempt when it has one, else an id no attempt has.
      const [attempt] = isUuid(pathId) ? await sql<{ id: string }>(this.app, 'select id::text from webhook_attempts where webhook_id = ? order by id limit 1', [pathId]) : [];
      url = url.replace('{deliveryId}', attempt?.id ?? '1');
    }
    const query: string[] = [];
    for (const [name, value] of request.query) {
      const resolved = value instanceof Marker ? await this.markers.resolve(value, caller, undefined) : value;
      query.push(`${percentEncode(name)}=${percentEncode(resolved)}`);
    }
    if (query.length > 0) url += `?${query.join('&')}`;

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      headers[name] = value instanceof Marker ? await this.markers.resolve(value, caller, pathId) : value;
    }
    if (caller && request.credential === 'caller') headers.authorization = `Bearer ${caller.token}`;
    if (caller && request.credential === 'lowercase-scheme') headers.authorization = `bearer ${caller.token}`;
    if (request.credential === 'garbage') headers.authorization = 'Bearer x';

    const { text, contentType } = await this.bodyText(request.body, caller, pathId);
    if (text !== undefined && contentType !== null) headers['content-type'] = contentType ?? 'application/json';
    const response = await this.app.inject({
      method: operation.method, url, headers, remoteAddress: request.remoteAddress, ...(text !== undefined ? { payload: text } : {}),
    });
    await this.record(operation, response, text, caller);
    const shownHeaders = Object.entries(headers).filter(([name]) => name !== 'authorization').map(([n, v]) => `${n}: ${v}`).join('; ');
    const description = `${operation.method} ${printable(url, 300)} [auth: ${request.credential}${shownHeaders ? `; ${printable(shownHeaders)}` : ''}]` +
      (request.body ? ` body(${request.body.kind}) ${printable(text ?? '<none>', 600)}` : '');
    return { response, description };
  }

  private async bodyText(body: BodyCase | undefined, caller: Account | undefined, pathId?: string): Promise<{ text?: string; contentType?: string | null }> {
    if (!body) return {};
    const text = body.text ?? JSON.stringify(await this.markers.resolveDeep(body.value, caller, pathId));
    return { text, contentType: body.contentType };
  }

  /** Keeps the world in step with what the API did. */
  private async record(operation: Operation, response: LightMyRequestResponse, text: string | undefined, caller: Account | undefined): Promise<void> {
    if (operation.key === 'post /api/v1/auth/register' && response.statusCode === 201) {
      this.knownUserIds.add(response.json().id);
    }
    if (operation.key === 'put /api/v1/users/me/password' && response.statusCode === 204 && caller && text) {
      caller.password = JSON.parse(text).newPassword;
    }
    if (operation.key === 'delete /api/v1/users/me' && response.statusCode === 204) {
      this.throwaway = undefined;
    }
  }

  /** Whether `main` can still call the API: an operation that ends its session would blind the rest. */
  async mainStillWorks(): Promise<boolean> {
    return (await this.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: this.main.auth })).statusCode === 200;
  }
}
