import { ClientChosenIdField } from '../../common/client-chosen-id.js';
import type { TaskPriority, TaskStatus } from '../task-enums.js';
import { CategoryIdField, DescriptionField, DueDateField, PriorityField, StatusField, TitleField } from './task-fields.js';

export class CreateTaskDto {
  @ClientChosenIdField('task')
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

  @CategoryIdField()
  categoryId?: string | null;
}
