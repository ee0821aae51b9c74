import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { from, lastValueFrom, map, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../common/authenticated-user.js';
import { parseIdempotencyKey, requestFingerprint } from './idempotency-key.js';
import { IdempotencyService } from './idempotency.service.js';

const WRITE_METHODS = new Set(['POST', 'PATCH', 'DELETE']);
const REPLAYED_HEADERS = ['etag', 'location'] as const;

/**
 * Registered as APP_INTERCEPTOR, after the guards: every authenticated POST, PATCH and DELETE
 * carrying an Idempotency-Key runs through IdempotencyService. Routes without a caller (register,
 * login) ignore the header: keys are scoped to the user.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined || !WRITE_METHODS.has(request.method) || !request.user) {
      return next.handle();
    }
    const key = parseIdempotencyKey(header);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    // The status Nest answers a success with: the route's @HttpCode, else 201 for POST, 200 otherwise.
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? 201 : 200);
    const write = async () => {
      const value = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const headers = Object.fromEntries(REPLAYED_HEADERS.flatMap((name) => (reply.hasHeader(name) ? [[name, String(reply.getHeader(name))]] : [])));
      return { status, headers, body: value === undefined ? '' : JSON.stringify(value), value };
    };
    return from(this.idempotency.run(request.user.userId, key, requestFingerprint(request), write)).pipe(
      map(({ replayed, answer }) => {
        if (!replayed) {
          return answer.value;
        }
        void reply.headers({ ...answer.headers, 'idempotent-replayed': 'true' });
        return answer.body === '' ? undefined : JSON.parse(answer.body);
      }),
    );
  }
}
