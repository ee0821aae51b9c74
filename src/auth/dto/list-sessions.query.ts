import { PageCursorField, PageLimitField } from '../../common/page-query-fields.js';

export const DEFAULT_SESSIONS_PAGE_SIZE = 20;

/** `limit` and `cursor` as every keyset-paged list takes them (GET /tasks too). */
export class ListSessionsQuery {
  @PageLimitField(DEFAULT_SESSIONS_PAGE_SIZE)
  limit?: number;

  @PageCursorField('nextCursor of the previous page')
  cursor?: string;
}
