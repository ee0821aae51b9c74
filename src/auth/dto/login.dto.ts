import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { TrimLowerCase } from '../../common/transforms.js';

export class LoginDto {
  @ApiProperty({
    description: 'Email or username, compared case-insensitively: at most 255 characters once lower-cased',
    example: 'jane.smith',
    minLength: 1,
    maxLength: 255,
  })
  // Judged lower-cased, as it is looked up and counted: some characters grow when lower-cased
  // (U+0130 "İ" becomes "i" + U+0307), and the login-throttle key has a column length.
  @TrimLowerCase()
  @IsString()
  @CharLength(1, 255)
  login: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 1, maxLength: 1024 })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}
