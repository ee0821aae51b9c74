/**
 * @deprecated Import from src/common/authenticated-user.ts. Kept only for the tasks and categories
 * controllers until their rewrite moves their import (.dependency-cruiser.cjs allows this file
 * until then); delete it with that allowance.
 */
export type { AuthenticatedRequest, AuthenticatedUser } from '../common/authenticated-user.js';
