import { EntityRepository, raw } from '@mikro-orm/postgresql';
import type { User } from './user.entity.js';

export class UserRepository extends EntityRepository<User> {
  /** By email or username, both case-insensitive; each side is served by a unique index. */
  findByLogin(login: string): Promise<User | null> {
    const normalized = login.trim().toLowerCase();
    return this.findOne({ $or: [{ email: normalized }, { [raw('lower(username)')]: normalized }] });
  }
}
