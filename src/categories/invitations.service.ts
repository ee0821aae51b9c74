import { EntityManager, raw, type FilterQuery } from '@mikro-orm/postgresql';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { ActivityService } from '../activity/activity.service.js';
import type { RequestActor } from '../common/actor.js';
import { ApiProblemException, validationProblem } from '../common/errors/api-problem.exception.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { Environment } from '../config/environment.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { UserSummary } from '../users/dto/user-summary.dto.js';
import { User } from '../users/user.entity.js';
import { CategoriesService } from './categories.service.js';
import { CategoryAccessService } from './category-access.service.js';
import { MemberJoined } from './category-events.js';
import { CategoryInvitation } from './category-invitation.entity.js';
import { CategoryMember } from './category-member.entity.js';
import { Category } from './category.entity.js';
import { CategoryRepository, type CategoryWithTaskCount } from './category.repository.js';
import type { CreateInvitationDto, ReceivedInvitationResponse } from './dto/invitation.dto.js';

const INVITATION_TTL_MS = 14 * 24 * 60 * 60_000;

const conflict = (message: string) => new ApiProblemException(409, message, { type: 'conflict', errors: [{ field: 'login', message }] });

/**
 * Invitations to a category: sent by its owner to a username or an e-mail address, answered the
 * same whether or not it names an account (nothing tells the owner who is registered), accepted
 * or declined by the invitee. Expired ones are invisible everywhere and deleted lazily.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly categories: CategoryRepository,
    private readonly categoriesService: CategoriesService,
    private readonly access: CategoryAccessService,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async invite(actor: RequestActor, categoryId: string, input: CreateInvitationDto): Promise<CategoryInvitation> {
    return this.unitOfWork.run(async (em) => {
      await this.access.require(actor.userId, categoryId, 'owner', 'invite members');
      await this.categories.lock(categoryId);
      const now = new Date();
      await em.nativeDelete(CategoryInvitation, { category: categoryId, expiresAt: { $lte: now } });
      const login = input.login.toLowerCase();
      const user = await em.findOne(User, { $or: [{ email: login }, { [raw('lower(username)')]: login }] }, { fields: ['id'], disableIdentityMap: true });
      if (user?.id === actor.userId) {
        throw validationProblem([{ field: 'login', message: 'You cannot invite yourself.' }]);
      }
      if (user && (await em.count(CategoryMember, { category: categoryId, user: user.id })) > 0) {
        throw validationProblem([{ field: 'login', message: 'This user is already a member.' }]);
      }
      // A login naming no account and no e-mail address is kept too (matching nobody), so the
      // owner is answered exactly as for a real one.
      const inviteeEmail = !user && isEmail(login) ? login : null;
      const invitee: FilterQuery<CategoryInvitation> = user ? { invitee: user.id } : inviteeEmail ? { inviteeEmail } : { invitee: null, inviteeEmail: null, [raw('lower(login)')]: login };
      if ((await em.count(CategoryInvitation, { category: categoryId, ...invitee })) > 0) {
        throw conflict('This login already has a pending invitation to this category.');
      }
      const limit = this.environment.MAX_MEMBERS_PER_CATEGORY;
      const taken = (await em.count(CategoryMember, { category: categoryId })) + (await em.count(CategoryInvitation, { category: categoryId }));
      if (taken >= limit) {
        throw quotaExceeded(limit, 'members and pending invitations per category');
      }
      const invitation = new CategoryInvitation(em.getReference(Category, categoryId), em.getReference(User, actor.userId), input.login, input.role, new Date(now.getTime() + INVITATION_TTL_MS));
      invitation.createdAt = now;
      invitation.invitee = user ? em.getReference(User, user.id) : null;
      invitation.inviteeEmail = inviteeEmail;
      em.persist(invitation);
      await em.flush();
      return invitation;
    });
  }

  /** The category's pending invitations, oldest first: owner only. */
  async listForCategory(userId: string, categoryId: string): Promise<CategoryInvitation[]> {
    await this.access.require(userId, categoryId, 'owner', 'see its invitations');
    return this.em.find(CategoryInvitation, { category: categoryId, expiresAt: { $gt: new Date() } }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  async withdraw(userId: string, categoryId: string, invitationId: string): Promise<void> {
    await this.access.require(userId, categoryId, 'owner', 'withdraw invitations');
    if ((await this.em.nativeDelete(CategoryInvitation, { id: invitationId, category: categoryId, expiresAt: { $gt: new Date() } })) === 0) {
      throw new NotFoundException('No such invitation.');
    }
  }

  /** The caller's pending invitations, newest first, with the category and who sent them. */
  async listReceived(userId: string): Promise<ReceivedInvitationResponse[]> {
    const invitations = await this.em.find(CategoryInvitation, await this.addressedTo(userId), { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], disableIdentityMap: true });
    const categories = await this.em.find(Category, { id: { $in: invitations.map((invitation) => invitation.category.id) } }, { fields: ['id', 'name'], disableIdentityMap: true });
    const senders = await this.em.find(User, { id: { $in: invitations.map((invitation) => invitation.invitedBy.id) } }, { fields: ['id', 'username', 'name'], disableIdentityMap: true });
    const names = new Map(categories.map((category) => [category.id, category.name]));
    const summaries = new Map(senders.map((sender) => [sender.id, UserSummary.from(sender)]));
    return invitations.map((invitation) => ({
      id: invitation.id,
      category: { id: invitation.category.id, name: names.get(invitation.category.id)! },
      invitedBy: summaries.get(invitation.invitedBy.id)!,
      role: invitation.role,
      createdAt: invitation.createdAt.toISOString(),
      expiresAt: invitation.expiresAt.toISOString(),
    }));
  }

  /** Joins the category with the invitation's role; answers the category as the new member sees it. */
  async accept(actor: RequestActor, invitationId: string): Promise<CategoryWithTaskCount> {
    const categoryId = await this.unitOfWork.run(async (em) => {
      // The caller's row, then the category's: concurrent acceptances by one user cannot pass
      // MAX_SHARED_CATEGORIES_PER_USER, nor those into one category MAX_MEMBERS_PER_CATEGORY.
      await em.execute('select 1 from users where id = ? for no key update', [actor.userId]);
      const invitation = await em.findOne(CategoryInvitation, await this.addressedTo(actor.userId, invitationId));
      if (!invitation) {
        throw new NotFoundException('No such invitation.');
      }
      const joined = invitation.category.id;
      await this.categories.lock(joined);
      em.remove(invitation);
      if ((await this.access.roleIn(actor.userId, joined)) !== null) {
        // Invited twice (by e-mail before registering, then by username): already in.
        await em.flush();
        return joined;
      }
      const memberLimit = this.environment.MAX_MEMBERS_PER_CATEGORY;
      if ((await em.count(CategoryMember, { category: joined })) >= memberLimit) {
        throw quotaExceeded(memberLimit, 'members and pending invitations per category');
      }
      const sharedLimit = this.environment.MAX_SHARED_CATEGORIES_PER_USER;
      if ((await em.count(CategoryMember, { user: actor.userId })) >= sharedLimit) {
        throw quotaExceeded(sharedLimit, 'shared categories');
      }
      em.persist(new CategoryMember(em.getReference(Category, joined), em.getReference(User, actor.userId), invitation.role));
      await em.flush();
      const user = await em.findOneOrFail(User, actor.userId, { fields: ['id', 'username'], disableIdentityMap: true });
      // The whole audience's streams first, in their sorted order, as every task write takes them:
      // taking the new member's alone first (MemberJoined) could deadlock with a concurrent write.
      await this.activity.record(await this.access.audience(joined), actor, [
        { entityType: 'category', entityId: joined, action: 'member_add', changes: { member: { from: null, to: { id: user.id, username: user.username, role: invitation.role } } } },
      ]);
      await this.unitOfWork.publish(new MemberJoined(actor, joined, actor.userId));
      return joined;
    });
    return this.categoriesService.get(actor.userId, categoryId);
  }

  async decline(userId: string, invitationId: string): Promise<void> {
    if ((await this.em.nativeDelete(CategoryInvitation, await this.addressedTo(userId, invitationId))) === 0) {
      throw new NotFoundException('No such invitation.');
    }
  }

  /** Unexpired invitations (this one, when given) to this user: by account, or by the e-mail address the account has now. */
  private async addressedTo(userId: string, invitationId?: string): Promise<FilterQuery<CategoryInvitation>> {
    const { email } = await this.em.findOneOrFail(User, userId, { fields: ['email'], disableIdentityMap: true });
    return { ...(invitationId ? { id: invitationId } : {}), $or: [{ invitee: userId }, { inviteeEmail: email }], expiresAt: { $gt: new Date() } };
  }
}
