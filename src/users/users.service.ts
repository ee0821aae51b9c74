import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { LoginThrottleService } from '../auth/login-throttle.service.js';
import { Session } from '../auth/session.entity.js';
import { definedOnly } from '../common/defined-only.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { conflictFromUniqueViolation, type UniqueConflict } from '../common/errors/unique-violation.js';
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

  async updateProfile(userId: string, changes: UpdateProfileDto): Promise<User> {
    const user = await this.getById(userId);
    // The DTO lower-cases the email already, as the entity's constructor does for new accounts.
    this.em.assign(user, definedOnly(changes));
    await this.flushAccount();
    return user;
  }

  /** New password and the revocation of every other session commit together or not at all. */
  async changePassword(
    userId: string,
    currentSessionId: string,
    change: ChangePasswordDto,
    clientAddress: string,
  ): Promise<void> {
    const user = await this.getById(userId);
    await this.assertPassword(user, change.currentPassword, 'currentPassword', clientAddress);
    user.passwordHash = await this.passwords.hash(change.newPassword);
    await this.em.transactional(async (em) => {
      await em.nativeDelete(Session, { user: userId, id: { $ne: currentSessionId } });
      await em.flush();
    });
  }

  /** Deletes the account; the database cascades to its tasks, categories and sessions. */
  async deleteAccount(userId: string, password: string, clientAddress: string): Promise<void> {
    const user = await this.getById(userId);
    await this.assertPassword(user, password, 'password', clientAddress);
    await this.em.remove(user).flush();
  }

  /**
   * A stolen token must not become a way to guess the password: wrong confirmations count
   * against the same per-account and per-address budget as failed logins.
   */
  private async assertPassword(user: User, password: string, field: string, clientAddress: string): Promise<void> {
    const account = `user:${user.id}`;
    await this.loginThrottle.assertAllowed(account, clientAddress);
    if (!(await this.passwords.verify(password, user.passwordHash))) {
      await this.loginThrottle.recordFailure(account, clientAddress);
      throw validationProblem([{ field, message: `${field} is incorrect` }]);
    }
    await this.loginThrottle.recordSuccess(account);
  }

  private async flushAccount(): Promise<void> {
    try {
      await this.em.flush();
    } catch (error) {
      throw conflictFromUniqueViolation(error, ACCOUNT_CONFLICTS);
    }
  }
}
