import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { accountKeyOf } from '../../src/users/login-throttle.service.js';
import { validateEnvironment } from '../../src/config/environment.js';
import { newAccountData, type TestAccount } from './accounts.js';
import type { Operation } from './openapi-contract.js';
import { sql } from './openapi-fixtures.js';
import type { BodyCase, FuzzRequest } from './fuzz-requests.js';
import { Marker } from './fuzz-values.js';
import { pollUntil } from './wait.js';

interface Account extends TestAccount {
  sessionId: string;
}

/** Operations that end the caller's session or account: they get callers of their own. */
const SESSION_ENDING = new Set(['post /api/v1/auth/logout']);
const ACCOUNT_CHANGING = new Set(['delete /api/v1/users/me', 'put /api/v1/users/me/password']);

/** Printable ASCII kept, everything else escaped, long texts cut: for failure messages. */
export function printable(text: string, max = 240): string {
  const cut = text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
  return cut.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** encodeURIComponent that, like an HTTP client, sends a lone surrogate as U+FFFD instead of throwing. */
export function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.!~*'()]/.test(String.fromCharCode(byte)) && byte < 0x80 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** What kind of request it was, without its values: examples of one problem are kept per shape. */
export function shapeOf(request: FuzzRequest): string {
  const id = request.pathId === undefined ? '' : ` id=${request.pathId instanceof Marker ? request.pathId.kind : request.rawPathId ? 'raw' : 'literal'}`;
  const subId = request.subId === undefined ? '' : ` subId=${request.subId instanceof Marker ? request.subId.kind : 'literal'}`;
  const query = request.query.length > 0 ? ` query=${[...new Set(request.query.map(([name]) => name))].sort().join(',')}` : '';
  const body = request.body ? ` body=${request.body.kind}${request.body.field ? `:${request.body.field}` : ''}` : '';
  return `${request.credential}${id}${subId}${query}${body}`;
}

const isUuid = (text: string | undefined): text is string => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text ?? '');

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
  private idempotencyKeys = 0;

  constructor(private readonly app: NestFastifyApplication) {}

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
    const [shared] = await this.sharedCategoryIds();
    await this.call(this.main, 'POST', `/api/v1/categories/${shared}/invitations`, { login: this.loginTarget.username, role: 'viewer' }, 201);
    await this.inviteMain();
    await pollUntil(async () => ((await sql(this.app, 'select 1 from webhook_attempts limit 1')).length > 0 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'a first webhook attempt',
    });
  }

  /** One request that must answer `expected`: fixtures are made through the API, as a client would. */
  private async call(account: Account, method: 'POST' | 'DELETE', url: string, payload: object | undefined, expected: number): Promise<Record<string, unknown>> {
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
  private async shareWithMember(): Promise<void> {
    const categoryId = await this.newCategory(this.main, 'Shared');
    const invitation = await this.call(this.main, 'POST', `/api/v1/categories/${categoryId}/invitations`, { login: this.member.username, role: 'editor' }, 201);
    await this.call(this.member, 'POST', `/api/v1/invitations/${invitation.id}/accept`, undefined, 200);
    await this.call(this.member, 'POST', '/api/v1/tasks', { title: 'Member task in a shared category', categoryId, assigneeId: this.member.id }, 201);
    await this.call(this.main, 'POST', '/api/v1/tasks', { title: 'Main task for the member', categoryId, assigneeId: this.member.id, dueDate: '2020-01-01T00:00:00Z' }, 201);
  }

  /** A new category of member's and a pending invitation of main to it, by username or e-mail address in turn (as they are now). */
  private async inviteMain(): Promise<{ categoryId: string; invitationId: string }> {
    const categoryId = await this.newCategory(this.member, 'Invite');
    await this.call(this.member, 'POST', '/api/v1/tasks', { title: 'Member task behind an invitation', categoryId }, 201);
    const [me] = await sql<{ username: string; email: string }>(this.app, 'select username, email from users where id = ?', [this.main.id]);
    const login = this.fixtures % 2 === 0 ? me.username : me.email;
    const invitation = await this.call(this.member, 'POST', `/api/v1/categories/${categoryId}/invitations`, { login, role: this.fixtures % 3 === 0 ? 'viewer' : 'editor' }, 201);
    return { categoryId, invitationId: invitation.id as string };
  }

  /** main's categories with at least one member: a fresh one shared with `member` when the fuzz removed the last. */
  private async sharedCategoryIds(): Promise<string[]> {
    const query = 'select distinct c.id::text as id from categories c join category_members m on m.category_id = c.id where c.user_id = ? order by 1';
    let rows = await sql<{ id: string }>(this.app, query, [this.main.id]);
    if (rows.length === 0) {
      await this.shareWithMember();
      rows = await sql<{ id: string }>(this.app, query, [this.main.id]);
    }
    return rows.map((row) => row.id);
  }

  /** Others' categories the account is a member of: for main, one more of member's (joined through the API) when it left the last. */
  private async joinedCategoryIds(account: Account): Promise<string[]> {
    const query = 'select category_id::text as id from category_members where user_id = ? order by 1';
    let rows = await sql<{ id: string }>(this.app, query, [account.id]);
    if (rows.length === 0 && account === this.main) {
      const { invitationId } = await this.inviteMain();
      await this.call(this.main, 'POST', `/api/v1/invitations/${invitationId}/accept`, undefined, 200);
      rows = await sql<{ id: string }>(this.app, query, [account.id]);
    }
    return rows.map((row) => row.id);
  }

  /** Pending invitations to main (by account or by its current address): a fresh one when the fuzz accepted or declined them all. */
  private async incomingInvitationIds(): Promise<string[]> {
    const query = `select i.id::text as id from category_invitations i where (i.invitee_id = ? or i.invitee_email = (select email from users where id = ?)) and i.expires_at > now() order by 1`;
    let rows = await sql<{ id: string }>(this.app, query, [this.main.id, this.main.id]);
    if (rows.length === 0) {
      await this.inviteMain();
      rows = await sql<{ id: string }>(this.app, query, [this.main.id, this.main.id]);
    }
    return rows.map((row) => row.id);
  }

  /**
   * Pending invitations of the category in the path: when it is main's and has none left (withdrawn),
   * main invites a new address. Any other path: the invitations main sent.
   */
  private async outgoingInvitationIds(categoryId: string | undefined): Promise<string[]> {
    const pending = async () => {
      const rows = isUuid(categoryId)
        ? await sql<{ id: string }>(this.app, 'select id::text from category_invitations where category_id = ? and expires_at > now() order by id', [categoryId])
        : await sql<{ id: string }>(this.app, 'select id::text from category_invitations where invited_by_id = ? and expires_at > now() order by id', [this.main.id]);
      return rows.map((row) => row.id);
    };
    let ids = await pending();
    if (ids.length === 0 && isUuid(categoryId) && (await sql(this.app, 'select 1 from categories where id = ? and user_id = ?', [categoryId, this.main.id])).length > 0) {
      await this.call(this.main, 'POST', `/api/v1/categories/${categoryId}/invitations`, { login: `fuzz.invitee.${++this.fixtures}@example.com`, role: 'viewer' }, 201);
      ids = await pending();
    }
    return ids;
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

  private async ids(table: 'tasks' | 'live' | 'categories' | 'sessions' | 'trash' | 'webhooks', userId: string, exclude = ''): Promise<string[]> {
    const from = table === 'trash' ? 'tasks where deleted_at is not null and' : table === 'live' ? 'tasks where deleted_at is null and' : `${table} where`;
    const rows = await sql<{ id: string }>(this.app, `select id::text from ${from} user_id = ? and id::text <> ? order by id`, [userId, exclude]);
    return rows.map((row) => row.id);
  }

  private async labels(userId: string): Promise<string[]> {
    const rows = await sql<{ label: string }>(this.app, 'select distinct unnest(labels) as label from tasks where user_id = ? order by 1', [userId]);
    return rows.map((row) => row.label);
  }

  private async resolve(value: Marker, caller: Account | undefined, pathId: string | undefined): Promise<string> {
    const owner = caller ?? this.main;
    const pickFrom = (candidates: string[]) =>
      candidates.length > 0 ? candidates[value.pick % candidates.length] : `00000000-0000-4000-8000-${String(value.pick).padStart(12, '0')}`;
    const target = this.loginTarget;
    switch (value.kind) {
      case 'task': return pickFrom(await this.ids('tasks', owner.id));
      case 'liveTask': return pickFrom(await this.ids('live', owner.id));
      case 'category': return pickFrom(await this.ids('categories', owner.id));
      case 'session': return pickFrom(await this.ids('sessions', owner.id, owner.sessionId));
      case 'otherTask': return pickFrom(await this.ids('tasks', this.other.id));
      case 'otherCategory': return pickFrom(await this.ids('categories', this.other.id));
      case 'otherSession': return pickFrom(await this.ids('sessions', this.other.id));
      case 'trashedTask': return pickFrom(await this.ids('trash', owner.id));
      case 'otherTrashedTask': return pickFrom(await this.ids('trash', this.other.id));
      case 'sharedCategory': return pickFrom(await this.sharedCategoryIds());
      case 'joinedCategory': return pickFrom(await this.joinedCategoryIds(owner));
      case 'sharedTask': {
        const rows = await sql<{ id: string }>(this.app, 'select t.id::text as id from tasks t join category_members m on m.category_id = t.category_id where m.user_id = ? and t.deleted_at is null order by 1', [owner.id]);
        return pickFrom(rows.map((row) => row.id));
      }
      case 'self': return owner.id;
      case 'memberId': {
        const rows = isUuid(pathId) ? await sql<{ id: string }>(this.app, 'select user_id::text as id from category_members where category_id = ? order by 1', [pathId]) : [];
        return rows.length > 0 ? pickFrom(rows.map((row) => row.id)) : this.member.id;
      }
      case 'otherUserId': return this.other.id;
      case 'incomingInvitation': return pickFrom(await this.incomingInvitationIds());
      case 'outgoingInvitation': return pickFrom(await this.outgoingInvitationIds(pathId));
      case 'inviteeLogin': {
        // The caller's name as it is now: PATCH /users/me may have changed it.
        const [me] = await sql<{ username: string }>(this.app, 'select username from users where id = ?', [owner.id]);
        const logins = [this.loginTarget.username, this.other.username, this.member.username, this.member.email.toUpperCase(), me?.username ?? owner.username, this.other.email, `fuzz.invitee.${value.pick}@example.com`];
        return logins[value.pick % logins.length];
      }
      case 'earlierTask':
      case 'laterTask': {
        // Another live task of the list of the task in the path (its category, or its owner's tasks
        // in no category): one placed before it (for `after`) or after it (for `before`) when there
        // is one, so that both together are in order; any other of the list otherwise.
        const rows = isUuid(pathId)
          ? await sql<{ id: string; earlier: boolean }>(
              this.app,
              `select t.id::text, t.position < p.position as earlier from tasks t join tasks p on p.id = ? where t.id <> p.id and t.deleted_at is null
                 and (t.category_id = p.category_id or (p.category_id is null and t.category_id is null and t.user_id = p.user_id)) order by t.id`,
              [pathId],
            )
          : [];
        const placed = rows.filter((row) => row.earlier === (value.kind === 'earlierTask'));
        return pickFrom((placed.length > 0 ? placed : rows).map((row) => row.id));
      }
      case 'freshIdempotencyKey':
        // A key no earlier request used: drawn uuids repeat across operations (one seed each), and a
        // reused key answers 422 for a different request.
        return `fuzz-key-${++this.idempotencyKeys}`;
      case 'label': {
        const labels = await this.labels(owner.id);
        if (labels.length === 0) {
          await this.call(owner, 'POST', '/api/v1/tasks', { title: 'Labelled again', labels: ['again'] }, 201);
          return 'again';
        }
        const label = pickFrom(labels);
        return value.pick % 3 === 0 ? label.toUpperCase() : label;
      }
      case 'otherLabel': {
        const own = new Set((await this.labels(owner.id)).map((label) => label.toLowerCase()));
        return pickFrom((await this.labels(this.other.id)).filter((label) => !own.has(label.toLowerCase())));
      }
      case 'webhook': return pickFrom(await this.ids('webhooks', owner.id));
      case 'otherWebhook': return pickFrom(await this.ids('webhooks', this.other.id));
      case 'password': return caller?.password ?? target.password;
      case 'loginName': return [target.username, target.email, target.username.toUpperCase(), ` ${target.email} `][value.pick % 4];
      case 'otherEmail': return this.other.email;
      case 'otherUsername': return this.other.username.toUpperCase();
      case 'categoryName': {
        const rows = await sql<{ name: string }>(this.app, 'select name from categories where user_id = ? order by id', [owner.id]);
        return rows.length > 0 ? rows[value.pick % rows.length].name.toUpperCase() : 'Seed';
      }
      case 'etag':
      case 'weakEtag': {
        // The caller's tasks and those of the categories shared with them.
        const [row] = isUuid(pathId)
          ? await sql<{ version: number }>(this.app, 'select version from tasks t where id = ? and (user_id = ? or exists (select 1 from category_members m where m.category_id = t.category_id and m.user_id = ?))', [pathId, owner.id, owner.id])
          : [];
        const tag = row ? `"${pathId}.${row.version}"` : '"no-such-task.1"';
        return value.kind === 'weakEtag' ? `W/${tag}` : tag;
      }
    }
  }

  private async resolveDeep(value: unknown, caller: Account | undefined, pathId?: string): Promise<unknown> {
    if (value instanceof Marker) return this.resolve(value, caller, pathId);
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.resolveDeep(item, caller, pathId)));
    if (value && typeof value === 'object') {
      const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await this.resolveDeep(item, caller, pathId)]));
      return Object.fromEntries(entries);
    }
    return value;
  }

  async send(operation: Operation, request: FuzzRequest): Promise<Sent> {
    const caller = await this.callerFor(operation);
    const pathId = request.pathId instanceof Marker ? await this.resolve(request.pathId, caller, undefined) : request.pathId;
    let url = operation.path;
    if (request.subId !== undefined) {
      const subId = request.subId instanceof Marker ? await this.resolve(request.subId, caller, pathId) : request.subId;
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
      const resolved = value instanceof Marker ? await this.resolve(value, caller, undefined) : value;
      query.push(`${percentEncode(name)}=${percentEncode(resolved)}`);
    }
    if (query.length > 0) url += `?${query.join('&')}`;

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      headers[name] = value instanceof Marker ? await this.resolve(value, caller, pathId) : value;
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
    const text = body.text ?? JSON.stringify(await this.resolveDeep(body.value, caller, pathId));
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

/** Invariants the data must keep whatever the requests were; each broken one is described. */
export async function inconsistencies(app: NestFastifyApplication, knownUserIds: Set<string>): Promise<string[]> {
  const checks: Array<[string, string]> = [
    ['tasks whose user does not exist', 'select t.id from tasks t left join users u on u.id = t.user_id where u.id is null'],
    ['tasks whose category does not exist', 'select t.id from tasks t left join categories c on c.id = t.category_id where t.category_id is not null and c.id is null'],
    ["tasks filed under another user's category", 'select t.id from tasks t join categories c on c.id = t.category_id where c.user_id <> t.user_id'],
    ['tasks with completed_at set iff not completed', "select id from tasks where (completed_at is not null) <> (status = 'completed')"],
    ['tasks with an unknown status or priority', "select id from tasks where status not in ('pending', 'in_progress', 'completed') or priority not in ('low', 'medium', 'high')"],
    ['tasks with an empty title or a version below 1', "select id from tasks where title = '' or version < 1"],
    ['tasks assigned to someone with no role on them (neither their owner nor a member of their category)',
      'select t.id from tasks t where t.assignee_id is not null and t.assignee_id <> t.user_id and not exists (select 1 from category_members m where m.category_id = t.category_id and m.user_id = t.assignee_id)'],
    ['categories whose user does not exist', 'select c.id from categories c left join users u on u.id = c.user_id where u.id is null'],
    ['categories with an empty name or a bad colour', "select id from categories where name = '' or color !~ '^#[0-9a-f]{6}$'"],
    ['categories with their owner among their members', 'select m.category_id as id from category_members m join categories c on c.id = m.category_id where m.user_id = c.user_id'],
    ['sessions whose user does not exist', 'select s.id from sessions s left join users u on u.id = s.user_id where u.id is null'],
    ['users with an upper-case email', 'select id from users where email <> lower(email)'],
  ];
  const problems: string[] = [];
  for (const [label, query] of checks) {
    const rows = await sql<{ id: string }>(app, query);
    if (rows.length > 0) problems.push(`${label}: ${rows.map((r) => r.id).join(', ')}`);
  }
  const users = await sql<{ id: string }>(app, 'select id::text from users');
  const strangers = users.map((u) => u.id).filter((id) => !knownUserIds.has(id));
  if (strangers.length > 0) problems.push(`users nobody created through a 201 or the fixtures: ${strangers.join(', ')}`);
  return problems;
}
