import { CategoryColorField, CategoryNameField } from './category-fields.js';

export class UpdateCategoryDto {
  @CategoryNameField({ optional: true })
  name?: string;

  @CategoryColorField()
  color?: string;
}
