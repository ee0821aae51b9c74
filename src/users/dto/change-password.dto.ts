import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-rules.js';

export class ChangePasswordDto {
  @ApiProperty({ example: 'my current passphrase', maxLength: 1024 })
  @IsString()
  @MaxLength(1024)
  currentPassword: string;

  @ApiProperty({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    example: 'a brand new passphrase',
    description: '8 to 128 characters, any Unicode; not one of the 10,000 most common passwords',
  })
  @IsAcceptablePassword()
  newPassword: string;
}
