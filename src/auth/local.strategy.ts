import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { countedAddress } from '../common/client-address.js';
import type { User } from '../users/user.entity.js';
import { AuthService } from './auth.service.js';

/** passport-local over `{ login, password }`, where login is an email or a username. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'login', passwordField: 'password', passReqToCallback: true, session: false });
  }

  validate(request: FastifyRequest, login: string, password: string): Promise<User> {
    return this.auth.verifyCredentials(login, password, countedAddress(request.ip));
  }
}
