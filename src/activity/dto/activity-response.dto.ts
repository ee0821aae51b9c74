import { ApiProperty } from '@nestjs/swagger';
import { ACTIVITY_ACTIONS, ACTIVITY_ENTITY_TYPES, type Activity, type ActivityAction, type ActivityEntityType, type FieldChanges } from '../activity.entity.js';

/** An entry as the page query loads it: its own fields and the actor's id and username. */
export type ActivityEntry = Pick<Activity, 'id' | 'at' | 'entityType' | 'entityId' | 'action' | 'changes'> & {
  actor: { id: string; username: string } | null;
};

export class ActivityActor {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'john.doe' })
  username: string;
}

export class ActivityResponse {
  @ApiProperty({ description: 'Unique across all entries', example: '1042' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ type: ActivityActor, nullable: true, description: "Who made the change; null for the server's retention job or a deleted account" })
  actor: ActivityActor | null;

  @ApiProperty({ enum: ACTIVITY_ENTITY_TYPES })
  entityType: ActivityEntityType;

  @ApiProperty({ format: 'uuid' })
  entityId: string;

  @ApiProperty({ enum: ACTIVITY_ACTIONS, description: 'delete = moved to the trash (tasks) or deleted (categories); purge = deleted for good' })
  action: ActivityAction;

  @ApiProperty({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: {
        from: { description: 'The value before: any JSON value, null when unset' },
        to: { description: 'The value after: any JSON value, null when unset' },
      },
      required: ['from', 'to'],
    },
    example: { status: { from: 'pending', to: 'completed' } },
    description: 'Each changed field as the API names it, with its value before and after',
  })
  changes: FieldChanges;

  static from(entry: ActivityEntry): ActivityResponse {
    return {
      id: entry.id,
      at: entry.at.toISOString(),
      actor: entry.actor ? { id: entry.actor.id, username: entry.actor.username } : null,
      entityType: entry.entityType,
      entityId: entry.entityId,
      action: entry.action,
      changes: entry.changes,
    };
  }
}

export class ActivityPageResponse {
  @ApiProperty({ type: [ActivityResponse] })
  items: ActivityResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
