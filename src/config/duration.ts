export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)?$/;

const UNIT_MILLISECONDS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `12h`, `30m`, `45s`, `500ms` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) {
    throw new Error(`Not a duration: ${text}`);
  }
  return Number(match[1]) * UNIT_MILLISECONDS[match[2] ?? 's'];
}
