import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class DeleteAccountDto {
  @ApiProperty({ description: 'The current password, to confirm', example: 'my current passphrase', maxLength: 1024 })
  @IsString()
  @MaxLength(1024)
  password: string;
}
