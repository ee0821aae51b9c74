import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsUUID } from 'class-validator';

/**
 * `id` on a create: chosen by the client (any UUID), so an offline client can refer to what it
 * created before it syncs, and a retried create cannot make a second one.
 */
export const ClientChosenIdField = (entity: string, example: string) =>
  applyDecorators(
    ApiProperty({
      type: String,
      format: 'uuid',
      required: false,
      example,
      description: `Chosen by the client so it can refer to the ${entity} before it syncs; the server picks one when absent. A create with an id already in use answers 409.`,
    }),
    IsOptional(),
    Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)),
    IsUUID('all', { message: 'id must be a UUID' }),
  );

/** The 409 for an id someone else holds: it says nothing of what holds it. */
export const ID_TAKEN = { field: 'id', detail: 'This id cannot be used: choose another.' };
