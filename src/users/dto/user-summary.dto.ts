import type { EntityManager } from '@mikro-orm/core';
import { ApiProperty } from '@nestjs/swagger';
import { User } from '../user.entity.js';

/** How other users appear on shared data (owners, members, creators, assignees): never an e-mail. */
export class UserSummary {
  @ApiProperty({ format: 'uuid', example: '0b5c5f0e-3a53-4a43-9f43-8b3e3e1f6a10' })
  id: string;

  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty({ example: 'Alice Martin' })
  name: string;

  static from(user: Pick<User, 'id' | 'username' | 'name'>): UserSummary {
    return { id: user.id, username: user.username, name: user.name };
  }
}

/**
 * A SQL expression giving the summary of the user whose id is in `idColumn` as a JSON object (null
 * for a null id), so a read answers the people on a row in the same statement as the row.
 */
export function userSummarySql(em: EntityManager, idColumn: string): string {
  const users = em.getMetadata(User);
  const column = (property: 'id' | 'username' | 'name') => `p."${users.properties[property].fieldNames[0]}"`;
  return `(select json_build_object('id', ${column('id')}, 'username', ${column('username')}, 'name', ${column('name')}) from "${users.tableName}" p where ${column('id')} = ${idColumn})`;
}
