import { ApiProperty } from '@nestjs/swagger';
import { UserResponse } from '../../users/dto/user-response.dto.js';

export class LoginResponse {
  @ApiProperty({ description: 'Bearer token: shown once, send it as `Authorization: Bearer <token>`' })
  accessToken: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ format: 'date-time', description: 'Absolute expiry; the session also ends after the idle timeout' })
  expiresAt: string;

  @ApiProperty({ type: UserResponse })
  user: UserResponse;
}
