import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../session.entity.js';

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

  static from(session: Session, currentSessionId: string): SessionResponse {
    return {
      id: session.id,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      userAgent: session.userAgent,
      current: session.id === currentSessionId,
    };
  }
}

export class SessionListResponse {
  @ApiProperty({ type: [SessionResponse] })
  items: SessionResponse[];
}
