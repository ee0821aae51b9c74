import { ClientChosenIdField } from '../../common/client-chosen-id.js';
import { CategoryColorField, CategoryNameField } from './category-fields.js';

export class CreateCategoryDto {
  @ClientChosenIdField('category')
  id?: string;

  @CategoryNameField()
  name: string;

  @CategoryColorField()
  color?: string;
}
