import { ApiProperty } from '@nestjs/swagger';
import { EmailField, NameField, UsernameField } from '../../users/dto/user-fields.js';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../users/dto/password-rules.js';

export class RegisterDto {
  @EmailField()
  email: string;

  @UsernameField()
  username: string;

  @NameField()
  name: string;

  @ApiProperty({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    example: 'correct horse battery staple',
    description: '8 to 128 characters, any Unicode and spaces; not one of the 10,000 most common passwords',
  })
  @IsAcceptablePassword()
  password: string;
}
