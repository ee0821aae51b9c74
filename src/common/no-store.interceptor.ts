import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, UseInterceptors } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';

/**
 * `Cache-Control: no-store` on answers that carry a token or an account, so no browser or
 * proxy keeps a copy (OWASP REST Security Cheat Sheet). Set before the handler runs, so the
 * route's error answers carry it too.
 */
@Injectable()
export class NoStoreInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    void context.switchToHttp().getResponse<FastifyReply>().header('Cache-Control', 'no-store');
    return next.handle();
  }
}

/** On a controller or a route: its answers are never stored. */
export const NoStore = () => UseInterceptors(NoStoreInterceptor);
