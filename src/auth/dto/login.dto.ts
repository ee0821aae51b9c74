import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import { Trim } from '../../common/transforms.js';

export class LoginDto {
  @ApiProperty({ description: 'Email or username', example: 'jane.smith', minLength: 1, maxLength: 255 })
  @Trim()
  @IsString()
  @Length(1, 255)
  login: string;

  @ApiProperty({ example: 'correct horse battery staple', maxLength: 1024 })
  @IsString()
  @MaxLength(1024)
  password: string;
}
