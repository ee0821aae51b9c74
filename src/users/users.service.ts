import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { LoginThrottleService, type PasswordCheck } from '../auth/login-throttle.service.js';
import { Session } from '../auth/session.entity.js';
import { definedOnly } from '../common/defined-only.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { conflictFromUniqueViolation, type UniqueConflict } from '../common/errors/unique-violation.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { logSecurityEvent } from '../logging/security-events.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { UpdateProfileDto } from './dto/update-profile.dto.js';
import { PasswordHasher } from './password-hasher.js';
import { User } from './user.entity.js';
import { UserRepository } from './user.repository.js';

export interface NewAccount {
  email: string;
  username: string;
  name: string;
  password: string;
}

const ACCOUNT_CONFLICTS: Record<string, UniqueConflict> = {
  users_email_unique: { field: 'email', detail: 'An account with this email already exists.' },
  users_username_lower_unique: { field: 'username', detail: 'An account with this username already exists.' },
};

@Injectable()
export class UsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserRepository,
    private readonly loginThrottle: LoginThrottleService,
    private readonly passwords: PasswordHasher,
  ) {}

  /** The database's unique indexes decide races: 20 concurrent sign-ups give one account. */
  async register(account: NewAccount): Promise<User> {
    const user = new User(account.email, account.username, account.name);
    user.passwordHash = await this.passwords.hash(account.password);
    this.em.persist(user);
    await this.flushAccount();
    return user;
  }

  findByLogin(login: string): Promise<User | null> {
    return this.users.findByLogin(login);
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

  /** New password and the revocation of every other session commit together or not at all. */
  async changePassword(userId: string, currentSessionId: string, change: ChangePasswordDto, origin: RequestOrigin): Promise<void> {
    const user = await this.getById(userId);
    await this.assertPassword(user, change.currentPassword, 'currentPassword', origin, 'password.change');
    user.passwordHash = await this.passwords.hash(change.newPassword);
    const revokedSessions = await this.em.transactional(async (em) => {
      const revoked = await em.nativeDelete(Session, { user: userId, id: { $ne: currentSessionId } });
      await em.flush();
      return revoked;
    });
    logSecurityEvent('password.changed', origin, { userId, sessionId: currentSessionId, revokedSessions });
  }

  /** Deletes the account; the database cascades to its tasks, categories and sessions. */
  async deleteAccount(userId: string, password: string, origin: RequestOrigin): Promise<void> {
    const user = await this.getById(userId);
    await this.assertPassword(user, password, 'password', origin, 'account.delete');
    await this.em.remove(user).flush();
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
