import { Logger } from '@nestjs/common';
import type { RequestOrigin } from '../common/request-origin.js';

/**
 * Events an operator or an intrusion detector watches for (OWASP Logging Cheat Sheet):
 * authentication outcomes, throttling, and changes to credentials, sessions and accounts.
 */
export type SecurityEvent =
  | 'login.succeeded'
  | 'login.failed'
  | 'password.confirmation.failed'
  | 'throttle.hit'
  | 'password.changed'
  | 'account.identifiers.changed'
  | 'account.deleted'
  | 'session.revoked';

/** Only ids and counts: a password, a token or a login name typed by a stranger never goes in. */
export interface SecurityEventFields {
  userId?: string;
  sessionId?: string;
  /** What the password was being checked for: login, password.change, account.delete, profile.change. */
  action?: string;
  /** The throttle tier that refused: account-and-address, address or account. */
  tiers?: string[];
  retryAfterSeconds?: number;
  revokedSessions?: number;
  reason?: string;
}

const logger = new Logger('SecurityEvent');

const WARNINGS = new Set<SecurityEvent>(['login.failed', 'password.confirmation.failed', 'throttle.hit']);

/**
 * One structured line per event, `{ event, userId, clientAddress, requestId, ... }`, written
 * through Nest's Logger to the app's pino logger.
 */
export function logSecurityEvent(event: SecurityEvent, origin: RequestOrigin, fields: SecurityEventFields = {}): void {
  const line = { event, ...fields, clientAddress: origin.clientAddress, requestId: origin.requestId };
  if (WARNINGS.has(event)) {
    logger.warn(line);
  } else {
    logger.log(line);
  }
}
