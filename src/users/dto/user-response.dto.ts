import { ApiProperty } from '@nestjs/swagger';
import type { User } from '../user.entity.js';

/** The public shape of an account: an explicit allow-list, so no hash can slip into a response. */
export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'email', example: 'jane.smith@example.com' })
  email: string;

  @ApiProperty({ example: 'jane.smith' })
  username: string;

  @ApiProperty({ example: 'Jane Smith' })
  name: string;

  @ApiProperty()
  isActive: boolean;

  @ApiProperty()
  emailVerified: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  static from(user: User): UserResponse {
    return {
      id: user.id,
      email: user.email,
      username: user.username,
      name: user.name,
      isActive: user.isActive,
      emailVerified: user.emailVerified,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}
