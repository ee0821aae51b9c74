import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql } from './openapi-fixtures.js';
import { isUuid } from './fuzz-text.js';
import { Marker } from './fuzz-values.js';
import type { Account, FuzzWorld } from './fuzz-world.js';

/**
 * What the markers of a request stand for, looked up when it is sent: the ids, names, passwords
 * and ETags of the world's users as the database holds them by then. What the fuzz consumed (the
 * last shared category, joined category or pending invitation) the world makes again first.
 */
export class MarkerResolver {
  private idempotencyKeys = 0;

  constructor(
    private readonly app: NestFastifyApplication,
    private readonly world: FuzzWorld,
  ) {}

  /** main's categories with at least one member: a fresh one shared with `member` when the fuzz removed the last. */
  async sharedCategoryIds(): Promise<string[]> {
    const query = 'select distinct c.id::text as id from categories c join category_members m on m.category_id = c.id where c.user_id = ? order by 1';
    let rows = await sql<{ id: string }>(this.app, query, [this.world.main.id]);
    if (rows.length === 0) {
      await this.world.shareWithMember();
      rows = await sql<{ id: string }>(this.app, query, [this.world.main.id]);
    }
    return rows.map((row) => row.id);
  }

  /** Others' categories the account is a member of: for main, one more of member's (joined through the API) when it left the last. */
  private async joinedCategoryIds(account: Account): Promise<string[]> {
    const query = 'select category_id::text as id from category_members where user_id = ? order by 1';
    let rows = await sql<{ id: string }>(this.app, query, [account.id]);
    if (rows.length === 0 && account === this.world.main) {
      const { invitationId } = await this.world.inviteMain();
      await this.world.call(this.world.main, 'POST', `/api/v1/invitations/${invitationId}/accept`, undefined, 200);
      rows = await sql<{ id: string }>(this.app, query, [account.id]);
    }
    return rows.map((row) => row.id);
  }

  /** Pending invitations to main (by account or by its current address): a fresh one when the fuzz accepted or declined them all. */
  private async incomingInvitationIds(): Promise<string[]> {
    const query = `select i.id::text as id from category_invitations i where (i.invitee_id = ? or i.invitee_email = (select email from users where id = ?)) and i.expires_at > now() order by 1`;
    let rows = await sql<{ id: string }>(this.app, query, [this.world.main.id, this.world.main.id]);
    if (rows.length === 0) {
      await this.world.inviteMain();
      rows = await sql<{ id: string }>(this.app, query, [this.world.main.id, this.world.main.id]);
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
        : await sql<{ id: string }>(this.app, 'select id::text from category_invitations where invited_by_id = ? and expires_at > now() order by id', [this.world.main.id]);
      return rows.map((row) => row.id);
    };
    let ids = await pending();
    if (ids.length === 0 && isUuid(categoryId) && (await sql(this.app, 'select 1 from categories where id = ? and user_id = ?', [categoryId, this.world.main.id])).length > 0) {
      await this.world.inviteNewAddress(categoryId);
      ids = await pending();
    }
    return ids;
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

  async resolve(value: Marker, caller: Account | undefined, pathId: string | undefined): Promise<string> {
    const owner = caller ?? this.world.main;
    const pickFrom = (candidates: string[]) =>
      candidates.length > 0 ? candidates[value.pick % candidates.length] : `00000000-0000-4000-8000-${String(value.pick).padStart(12, '0')}`;
    const target = this.world.loginTarget;
    switch (value.kind) {
      case 'task': return pickFrom(await this.ids('tasks', owner.id));
      case 'liveTask': return pickFrom(await this.ids('live', owner.id));
      case 'category': return pickFrom(await this.ids('categories', owner.id));
      case 'session': return pickFrom(await this.ids('sessions', owner.id, owner.sessionId));
      case 'otherTask': return pickFrom(await this.ids('tasks', this.world.other.id));
      case 'otherCategory': return pickFrom(await this.ids('categories', this.world.other.id));
      case 'otherSession': return pickFrom(await this.ids('sessions', this.world.other.id));
      case 'trashedTask': return pickFrom(await this.ids('trash', owner.id));
      case 'otherTrashedTask': return pickFrom(await this.ids('trash', this.world.other.id));
      case 'sharedCategory': return pickFrom(await this.sharedCategoryIds());
      case 'joinedCategory': return pickFrom(await this.joinedCategoryIds(owner));
      case 'sharedTask': {
        const rows = await sql<{ id: string }>(this.app, 'select t.id::text as id from tasks t join category_members m on m.category_id = t.category_id where m.user_id = ? and t.deleted_at is null order by 1', [owner.id]);
        return pickFrom(rows.map((row) => row.id));
      }
      case 'self': return owner.id;
      case 'memberId': {
        const rows = isUuid(pathId) ? await sql<{ id: string }>(this.app, 'select user_id::text as id from category_members where category_id = ? order by 1', [pathId]) : [];
        return rows.length > 0 ? pickFrom(rows.map((row) => row.id)) : this.world.member.id;
      }
      case 'otherUserId': return this.world.other.id;
      case 'incomingInvitation': return pickFrom(await this.incomingInvitationIds());
      case 'outgoingInvitation': return pickFrom(await this.outgoingInvitationIds(pathId));
      case 'inviteeLogin': {
        // The caller's name as it is now: PATCH /users/me may have changed it.
        const [me] = await sql<{ username: string }>(this.app, 'select username from users where id = ?', [owner.id]);
        const logins = [this.world.loginTarget.username, this.world.other.username, this.world.member.username, this.world.member.email.toUpperCase(), me?.username ?? owner.username, this.world.other.email, `fuzz.invitee.${value.pick}@example.com`];
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
          await this.world.call(owner, 'POST', '/api/v1/tasks', { title: 'Labelled again', labels: ['again'] }, 201);
          return 'again';
        }
        const label = pickFrom(labels);
        return value.pick % 3 === 0 ? label.toUpperCase() : label;
      }
      case 'otherLabel': {
        const own = new Set((await this.labels(owner.id)).map((label) => label.toLowerCase()));
        return pickFrom((await this.labels(this.world.other.id)).filter((label) => !own.has(label.toLowerCase())));
      }
      case 'webhook': return pickFrom(await this.ids('webhooks', owner.id));
      case 'otherWebhook': return pickFrom(await this.ids('webhooks', this.world.other.id));
      case 'password': return caller?.password ?? target.password;
      case 'loginName': return [target.username, target.email, target.username.toUpperCase(), ` ${target.email} `][value.pick % 4];
      case 'otherEmail': return this.world.other.email;
      case 'otherUsername': return this.world.other.username.toUpperCase();
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

  async resolveDeep(value: unknown, caller: Account | undefined, pathId?: string): Promise<unknown> {
    if (value instanceof Marker) return this.resolve(value, caller, pathId);
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.resolveDeep(item, caller, pathId)));
    if (value && typeof value === 'object') {
      const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await this.resolveDeep(item, caller, pathId)]));
      return Object.fromEntries(entries);
    }
    return value;
  }
}
