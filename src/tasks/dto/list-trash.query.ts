import { PageCursorField, PageLimitField } from '../../common/page-query-fields.js';
import { DEFAULT_PAGE_SIZE } from './list-tasks.query.js';

export class ListTrashQuery {
  @PageLimitField(DEFAULT_PAGE_SIZE)
  limit?: number;

  @PageCursorField('nextCursor of the previous page')
  cursor?: string;
}
