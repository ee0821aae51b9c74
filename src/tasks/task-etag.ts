/**
 * Strong ETags for single tasks, from id and version: any change bumps the version, so equal
 * tags mean byte-identical representations.
 */
export function taskEtag(task: { id: string; version: number }): string {
  return `"${task.id}.${task.version}"`;
}

const listedTags = (header: string) => header.split(',').map((tag) => tag.trim());

/** If-Match uses strong comparison: a weak tag never matches; `*` matches any current task. */
export function ifMatchSatisfied(header: string, currentEtag: string): boolean {
  return listedTags(header).some((tag) => tag === '*' || tag === currentEtag);
}

/** If-None-Match uses weak comparison: `W/"x"` matches `"x"`. */
export function ifNoneMatchSatisfied(header: string, currentEtag: string): boolean {
  return listedTags(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === currentEtag);
}
