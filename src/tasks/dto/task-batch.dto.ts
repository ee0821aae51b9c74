import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ProblemSchema } from '../../common/errors/problem.schema.js';
import { TaskResponse } from './task-response.dto.js';

export const BATCH_OPERATIONS = ['create', 'update', 'toggle', 'delete', 'restore'] as const;
export type BatchOperationName = (typeof BATCH_OPERATIONS)[number];
export const MAX_BATCH_OPERATIONS = 100;

export class BatchOperationDto {
  @ApiProperty({ enum: BATCH_OPERATIONS })
  @IsIn(BATCH_OPERATIONS)
  op: BatchOperationName;

  @ApiProperty({ required: false, format: 'uuid', description: 'The task, for every operation but create (or `ref`)' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsUUID('all', { message: 'id must be a UUID' })
  id?: string;

  @ApiProperty({
    required: false,
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    description: 'On create: a name for the new task; on the other operations, instead of `id`: the task created earlier in this batch under that name',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'ref must be 1 to 64 letters, digits, _ or -' })
  ref?: string;

  @ApiProperty({ required: false, maxLength: 200, description: 'As the If-Match header of the single-task route' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  ifMatch?: string;

  @ApiProperty({ required: false, type: Object, additionalProperties: true, description: 'create: as POST /tasks; update: as PATCH /tasks/{id}; absent otherwise' })
  @IsOptional()
  @IsObject()
  body?: Record<string, unknown>;
}

export class TaskBatchDto {
  @ApiProperty({ type: [BatchOperationDto], minItems: 1, maxItems: MAX_BATCH_OPERATIONS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_OPERATIONS)
  @ValidateNested({ each: true })
  @Type(() => BatchOperationDto)
  operations: BatchOperationDto[];
}

export class TaskBatchQuery {
  @ApiProperty({ required: false, type: Boolean, default: false, description: 'true: all or nothing, in one transaction' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'atomic must be true or false' })
  atomic?: boolean;
}

@ApiExtraModels(TaskResponse, ProblemSchema)
export class BatchResultDto {
  @ApiProperty({ type: 'integer', description: 'The status the single-task route would have answered' })
  status: number;

  @ApiProperty({ required: false, description: "The task's ETag, after a create, update, toggle or restore" })
  etag?: string;

  @ApiProperty({ required: false, allOf: [{ $ref: getSchemaPath(TaskResponse) }], description: 'The task, after a create, update, toggle or restore' })
  body?: TaskResponse;

  @ApiProperty({ required: false, allOf: [{ $ref: getSchemaPath(ProblemSchema) }], description: 'Why this operation failed; nothing of it was written' })
  problem?: ProblemSchema;
}

export class TaskBatchResponse {
  @ApiProperty({ type: [BatchResultDto], description: 'One per operation, in order' })
  results: BatchResultDto[];
}
