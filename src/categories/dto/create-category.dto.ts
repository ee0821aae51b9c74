import { ClientChosenIdField } from '../../common/client-chosen-id.js';
import { CategoryColorField, CategoryNameField } from './category-fields.js';

export class CreateCategoryDto {
  @ClientChosenIdField('category', '0192f0c1-7b1e-7c3a-9d2e-4f5a6b7c8d9f')
  id?: string;

  @CategoryNameField()
  name: string;

  @CategoryColorField()
  color?: string;
}
