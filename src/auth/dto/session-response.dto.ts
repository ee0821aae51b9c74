import { ApiProperty } from '@nestjs/swagger';
import type { SessionRow } from '../session.repository.js';

export class SessionResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', description: 'Refreshed at most once a minute' })
  lastUsedAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ type: String, nullable: true, example: 'curl/8.5.0' })
  userAgent: string | null;

  @ApiProperty({ description: 'This is the session of the token making the request' })
  current: boolean;

  static fromRow(row: SessionRow, currentSessionId: string): SessionResponse {
    return {
      id: row.id,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      expiresAt: row.expires_at,
      userAgent: row.user_agent,
      current: row.id === currentSessionId,
    };
  }
}

/** One page, newest first; the same shape as the tasks list. */
export class SessionListResponse {
  @ApiProperty({ type: [SessionResponse] })
  items: SessionResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
