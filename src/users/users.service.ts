import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { definedOnly } from '../common/defined-only.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { conflictFromUniqueViolation, type UniqueConflict } from '../common/errors/unique-violation.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { logSecurityEvent } from '../logging/security-events.js';
import { AccountDeleting, PasswordChanged } from './account-events.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { UpdateProfileDto } from './dto/update-profile.dto.js';
import { LoginThrottleService, type PasswordCheck, type PasswordOwner } from './login-throttle.service.js';
import { PasswordHasher } from './password-hasher.js';
import { User } from './user.entity.js';
import { UserRepository } from './user.repository.js';

export interface NewAccount {
  email: string;
  username: string;
  name: string;
  password: string;
}

/** A login's password check: `user` is the account the login named, when it names one (for the log). */
export type LoginCheck = { accepted: true; user: User } | { accepted: false; user: User | null };

const ACCOUNT_CONFLICTS: Record<string, UniqueConflict> = {
  users_email_unique: { field: 'email', detail: 'An account with this email already exists.' },
  users_username_lower_unique: { field: 'username', detail: 'An account with this username already exists.' },
};

@Injectable()
export class UsersService implements OnModuleInit {
  /** Compared against when a login names no account, so both failures cost one bcrypt comparison. */
  private dummyHash: string;

  constructor(
    private readonly em: EntityManager,
    private readonly unitOfWork: UnitOfWork,
    private readonly users: UserRepository,
    private readonly loginThrottle: LoginThrottleService,
    private readonly passwords: PasswordHasher,
  ) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.passwords.hash('no account has this password');
  }

  /** The database's unique indexes decide races: 20 concurrent sign-ups give one account. */
  async register(account: NewAccount): Promise<User> {
    const user = new User(account.email, account.username, account.name);
    user.passwordHash = await this.passwords.hash(account.password);
    this.em.persist(user);
    await this.flushAccount();
    return user;
  }

  /**
   * Login's password check: throttled like every other (counted before bcrypt runs), constant-work
   * (a login naming no account is compared against a dummy hash) and, for an inactive account,
   * a failure even with the right password, or the throttle would tell it apart.
   */
  async checkLogin(login: string, password: string, origin: RequestOrigin): Promise<LoginCheck> {
    const user = await this.users.findByLogin(login);
    const owner: PasswordOwner = user ? { userId: user.id } : { unknownLogin: login };
    const accepted = await this.loginThrottle.check(owner, origin, 'login', async () => {
      const passwordMatches = await this.passwords.verify(password, user?.passwordHash ?? this.dummyHash);
      return passwordMatches && user !== null && user.isActive;
    });
    return accepted && user ? { accepted: true, user } : { accepted: false, user };
  }

  async getById(userId: string): Promise<User> {
    return this.users.findOneOrFail(userId);
  }

  /**
   * Email and username are what a login names, so changing either asks for the current
   * password, like a password change (a stolen token must not take the account over).
   * A change of case alone is not a change: logins ignore case.
   */
  async updateProfile(userId: string, changes: UpdateProfileDto, origin: RequestOrigin): Promise<User> {
    const { currentPassword, ...profile } = changes;
    const user = await this.getById(userId);
    const changesIdentifiers =
      (profile.email !== undefined && profile.email !== user.email) ||
      (profile.username !== undefined && profile.username.toLowerCase() !== user.username.toLowerCase());
    if (changesIdentifiers) {
      if (currentPassword === undefined) {
        throw validationProblem([{ field: 'currentPassword', message: 'currentPassword is required to change email or username' }]);
      }
      await this.assertPassword(user, currentPassword, 'currentPassword', origin, 'profile.change');
    }
    // The DTO lower-cases the email already, as the entity's constructor does for new accounts.
    this.em.assign(user, definedOnly(profile));
    await this.flushAccount();
    if (changesIdentifiers) {
      logSecurityEvent('account.identifiers.changed', origin, { userId });
    }
    return user;
  }

  /**
   * The new password and the end of every other session (auth listens to PasswordChanged) commit
   * together or not at all. The hash is written first, so a listener that fails takes it back.
   */
  async changePassword(userId: string, currentSessionId: string, change: ChangePasswordDto, origin: RequestOrigin): Promise<void> {
    const user = await this.getById(userId);
    await this.assertPassword(user, change.currentPassword, 'currentPassword', origin, 'password.change');
    user.passwordHash = await this.passwords.hash(change.newPassword);
    const changed = new PasswordChanged(userId, currentSessionId);
    await this.unitOfWork.run(async (em) => {
      await em.flush();
      await this.unitOfWork.publish(changed);
    });
    logSecurityEvent('password.changed', origin, { userId, sessionId: currentSessionId, revokedSessions: changed.revokedSessions });
  }

  /**
   * Deletes the account in one transaction: what other modules keep for it goes first (auth ends
   * its sessions on AccountDeleting), then its row, which the database cascades to its tasks and
   * categories. The row is locked first, as a login locks it before touching sessions, so the
   * two take their locks in the same order and cannot deadlock.
   */
  async deleteAccount(userId: string, password: string, origin: RequestOrigin): Promise<void> {
    const user = await this.getById(userId);
    await this.assertPassword(user, password, 'password', origin, 'account.delete');
    await this.unitOfWork.run(async (em) => {
      await em.lock(user, LockMode.PESSIMISTIC_WRITE);
      await this.unitOfWork.publish(new AccountDeleting(userId));
      await em.remove(user).flush();
    });
    logSecurityEvent('account.deleted', origin, { userId });
  }

  /**
   * A stolen token must not become a way to guess the password: confirmations go through the
   * same throttle as logins, counted before the comparison.
   */
  private async assertPassword(user: User, password: string, field: string, origin: RequestOrigin, action: PasswordCheck): Promise<void> {
    const matches = await this.loginThrottle.check({ userId: user.id }, origin, action, () => this.passwords.verify(password, user.passwordHash));
    if (!matches) {
      logSecurityEvent('password.confirmation.failed', origin, { userId: user.id, action });
      throw validationProblem([{ field, message: `${field} is incorrect` }]);
    }
  }

  private async flushAccount(): Promise<void> {
    try {
      await this.em.flush();
    } catch (error) {
      throw conflictFromUniqueViolation(error, ACCOUNT_CONFLICTS);
    }
  }
}
