import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { Environment } from '../config/environment.js';
import { logSecurityEvent } from '../logging/security-events.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { hashPassword } from '../users/password.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { LoginThrottleService, type PasswordOwner } from './login-throttle.service.js';

/** One answer for every failed login, so it never tells which accounts exist. */
export const invalidCredentials = () =>
  new ApiProblemException(401, 'Invalid login or password.', {
    type: 'invalid-credentials',
    headers: { 'WWW-Authenticate': 'Bearer' },
  });

@Injectable()
export class AuthService implements OnModuleInit {
  /** Compared against when no account matches, so both failures cost one bcrypt comparison. */
  private dummyHash: string;

  constructor(
    private readonly users: UsersService,
    private readonly loginThrottle: LoginThrottleService,
    private readonly passwords: PasswordHasher,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hashPassword('no account has this password', this.environment.BCRYPT_COST);
  }

  /** passport-local's check: throttled, constant-work, and silent about which part was wrong. */
  async verifyCredentials(login: string, password: string, origin: RequestOrigin): Promise<User> {
    const user = await this.users.findByLogin(login);
    const owner: PasswordOwner = user ? { userId: user.id } : { unknownLogin: login };
    // An inactive account's right password is a failure too, or the throttle would tell it apart.
    const accepted = await this.loginThrottle.check(owner, origin, 'login', async () => {
      const passwordMatches = await this.passwords.verify(password, user?.passwordHash ?? this.dummyHash);
      return passwordMatches && user !== null && user.isActive;
    });
    if (!accepted || !user) {
      logSecurityEvent('login.failed', origin, user ? { userId: user.id } : {});
      throw invalidCredentials();
    }
    logSecurityEvent('login.succeeded', origin, { userId: user.id });
    return user;
  }
}
