import { ClientChosenIdField } from '../../common/client-chosen-id.js';
import type { TaskPriority, TaskStatus } from '../task-enums.js';
import { RecurrenceDto, RecurrenceField } from './recurrence.dto.js';
import { AssigneeIdField, CategoryIdField, ParentIdField, DescriptionField, DueDateField, LabelsField, PriorityField, StatusField, TitleField } from './task-fields.js';

export class CreateTaskDto {
  @ClientChosenIdField('task', '0192f0c1-7b1e-7c3a-9d2e-4f5a6b7c8d9e')
  id?: string;

  @TitleField()
  title: string;

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
