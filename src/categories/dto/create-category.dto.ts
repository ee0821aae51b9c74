import { CategoryColorField, CategoryNameField } from './category-fields.js';

export class CreateCategoryDto {
  @CategoryNameField()
  name: string;

  @CategoryColorField()
  color?: string;
}
