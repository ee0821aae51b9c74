/**
 * Roles on a category, weakest first. The owner is the category's user (never a member row);
 * members are editors (read and write its tasks) or viewers (read only).
 */
export const CATEGORY_ROLES = ['viewer', 'editor', 'owner'] as const;
export type CategoryRole = (typeof CATEGORY_ROLES)[number];

/** The roles an invitation or a member update may grant: ownership is never handed out. */
export const MEMBER_ROLES = ['editor', 'viewer'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** Whether `role` includes everything `needed` may do. */
export function roleAtLeast(role: CategoryRole | null | undefined, needed: CategoryRole): boolean {
  return role !== null && role !== undefined && CATEGORY_ROLES.indexOf(role) >= CATEGORY_ROLES.indexOf(needed);
}
