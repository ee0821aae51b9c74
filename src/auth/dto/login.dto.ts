import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { Trim } from '../../common/transforms.js';

export class LoginDto {
  @ApiProperty({ description: 'Email or username', example: 'jane.smith', minLength: 1, maxLength: 255 })
  @Trim()
  @IsString()
  @CharLength(1, 255)
  login: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 1, maxLength: 1024 })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}
