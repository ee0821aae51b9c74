/**
 * The properties of a partial update that were actually sent. class-transformer declares every
 * DTO property, so absent fields exist with `undefined`, which `em.assign` refuses.
 */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}
