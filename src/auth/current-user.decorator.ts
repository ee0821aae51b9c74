/**
 * @deprecated Import from src/common/current-user.decorator.ts. Kept only for the tasks and
 * categories controllers until their rewrite moves their import; delete it then.
 */
export { CurrentUser } from '../common/current-user.decorator.js';
