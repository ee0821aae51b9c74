/**
 * What the users module tells other modules about an account, inside the unit of work of the
 * change (UnitOfWork.publish): a listener's writes commit or roll back with it. Listeners import
 * these classes; users imports none of its listeners.
 */

/** The new password hash is written (not yet committed): every session but `keepSessionId` must end. */
export class PasswordChanged {
  static readonly eventName = 'users.password-changed';

  /** How many sessions the listeners ended, for the `password.changed` security log line. */
  revokedSessions = 0;

  constructor(
    readonly userId: string,
    readonly keepSessionId: string,
  ) {}
}

/** The account's row is about to be deleted, in this transaction: what belongs to it goes first. */
export class AccountDeleting {
  static readonly eventName = 'users.account-deleting';

  constructor(readonly userId: string) {}
}
