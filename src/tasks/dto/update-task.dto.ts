import type { TaskPriority, TaskStatus } from '../task-enums.js';
import { RecurrenceDto, RecurrenceField } from './recurrence.dto.js';
import { AssigneeIdField, CategoryIdField, ParentIdField, DescriptionField, DueDateField, LabelsField, PriorityField, StatusField, TitleField } from './task-fields.js';

/** Any subset of the create fields; `null` clears description, dueDate, categoryId or assigneeId. */
export class UpdateTaskDto {
  @TitleField({ optional: true })
  title?: string;

  @DescriptionField()
  description?: string | null;

  @StatusField()
  status?: TaskStatus;

  @PriorityField()
  priority?: TaskPriority;

  @DueDateField()
  dueDate?: string | null;

  @LabelsField()
  labels?: string[];

  @RecurrenceField()
  recurrence?: RecurrenceDto | null;

  @CategoryIdField()
  categoryId?: string | null;

  @ParentIdField()
  parentId?: string | null;

  @AssigneeIdField()
  assigneeId?: string | null;
}
