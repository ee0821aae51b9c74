import { Injectable } from '@nestjs/common';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { logSecurityEvent } from '../logging/security-events.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';

/** One answer for every failed login, so it never tells which accounts exist. */
export const invalidCredentials = () =>
  new ApiProblemException(401, 'Invalid login or password.', {
    type: 'invalid-credentials',
    headers: { 'WWW-Authenticate': 'Bearer' },
  });

@Injectable()
export class AuthService {
  constructor(private readonly users: UsersService) {}

  /**
   * passport-local's check, silent about which part was wrong. The password check itself
   * (throttle, constant work) is the users module's, which owns accounts and their passwords.
   */
  async verifyCredentials(login: string, password: string, origin: RequestOrigin): Promise<User> {
    const check = await this.users.checkLogin(login, password, origin);
    if (!check.accepted) {
      logSecurityEvent('login.failed', origin, check.user ? { userId: check.user.id } : {});
      throw invalidCredentials();
    }
    logSecurityEvent('login.succeeded', origin, { userId: check.user.id });
    return check.user;
  }
}
