import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { OptionalNotNull } from '../../common/optional.js';
import { WEBHOOK_EVENT_FILTERS } from '../webhook-events.js';

const UrlField = (required: boolean) =>
  applyDecorators(
  ApiProperty({ required, maxLength: 2000, example: 'https://hooks.example.com/tasktracker', description: 'http or https; must resolve to a public address' }),
  IsString(),
  MaxLength(2000),
  );

const EventsField = (required: boolean) =>
  applyDecorators(
  ApiProperty({ required, type: [String], enum: WEBHOOK_EVENT_FILTERS, minItems: 1, maxItems: WEBHOOK_EVENT_FILTERS.length, description: 'Event types, or `task.*` / `category.*` for all of an entity' }),
  IsArray(),
  ArrayMinSize(1),
  ArrayMaxSize(WEBHOOK_EVENT_FILTERS.length),
  ArrayUnique(),
  IsIn(WEBHOOK_EVENT_FILTERS, { each: true, message: `each event must be one of ${WEBHOOK_EVENT_FILTERS.join(', ')}` }),
  );

export class CreateWebhookDto {
  @UrlField(true)
  url: string;

  @EventsField(true)
  events: string[];

  @ApiProperty({ required: false, default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class UpdateWebhookDto {
  // Absent leaves it as it is; null is not a value (400), as for every non-nullable field.
  @OptionalNotNull()
  @UrlField(false)
  url?: string;

  @OptionalNotNull()
  @EventsField(false)
  events?: string[];

  @ApiProperty({ required: false, description: 'true turns a webhook the server disabled back on' })
  @OptionalNotNull()
  @IsBoolean()
  active?: boolean;
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  url: string;

  @ApiProperty({ type: [String], enum: WEBHOOK_EVENT_FILTERS })
  events: string[];

  @ApiProperty()
  active: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Why the server turned it off, if it did' })
  disabledReason: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class WebhookWithSecretResponse extends WebhookResponse {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Shown this once: verify each delivery with it (Standard Webhooks)' })
  secret: string;
}

export class WebhookListResponse {
  @ApiProperty({ type: [WebhookResponse] })
  items: WebhookResponse[];
}

export class WebhookSecretResponse {
  @ApiProperty({ description: 'The new secret, shown this once; the previous one also signs for 24 hours' })
  secret: string;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ description: 'This attempt' })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'The message: its `webhook-id` header, the same on every attempt' })
  messageId: string;

  @ApiProperty({ enum: ['task.created', 'task.updated', 'task.deleted', 'task.restored', 'category.created', 'category.updated', 'category.deleted'] })
  eventType: string;

  @ApiProperty({ type: 'integer' })
  attempt: number;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ type: 'integer', nullable: true, description: "The receiver's status; null when none came" })
  statusCode: number | null;

  @ApiProperty({ type: 'integer' })
  durationMs: number;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;
}

export class WebhookDeliveryPageResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse], description: 'Newest first' })
  items: WebhookDeliveryResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
