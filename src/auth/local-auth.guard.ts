import { type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { validateBody } from '../common/validation.js';
import { invalidCredentials } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';

/**
 * Guards run before pipes, so the login body is validated here first: a malformed body gets
 * the same per-field 400 as any other route instead of passport's bare 401.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.body = await validateBody(LoginDto, request.body);
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(error: unknown, user: TUser): TUser {
    if (error) {
      throw error;
    }
    // passport-local fails without an error on missing credentials: still a failed login.
    if (!user) {
      throw invalidCredentials();
    }
    return user;
  }
}
