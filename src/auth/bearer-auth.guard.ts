import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedRequest } from '../common/authenticated-user.js';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { AddressBudget } from '../rate-limit/address-budget.service.js';
import { IS_PUBLIC_ROUTE } from './public.decorator.js';
import { SessionsService } from './sessions.service.js';

// The scheme name is case-insensitive (RFC 9110); the token is base64url.
const BEARER = /^Bearer +([A-Za-z0-9_-]{20,128}) *$/i;

const unauthenticated = (detail: string) =>
  new ApiProblemException(401, detail, { type: 'unauthenticated', headers: { 'WWW-Authenticate': 'Bearer' } });

/**
 * The global guard (APP_GUARD): every route needs a live bearer token unless marked @Public().
 * Each failure spends from the client address's budget, and an address with none left answers
 * 429 before its token is looked up: forged tokens cannot buy unlimited database queries.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly addressBudget: AddressBudget,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!token) {
      await this.addressBudget.spendFailure(request, reply);
      throw unauthenticated('A bearer token is required: Authorization: Bearer <accessToken>.');
    }
    await this.addressBudget.assertAvailable(request, reply);
    const user = await this.sessions.authenticate(token);
    if (!user) {
      await this.addressBudget.spendFailure(request, reply);
      throw unauthenticated('The token is invalid, expired or revoked.');
    }
    request.user = user;
    return true;
  }
}
