/** Area/Location/...: each part letters, digits, `_+-`, the first starting with a letter. */
const looksLikeIanaName = (name: string) =>
  /^[A-Za-z]/.test(name) && name.split('/').every((part) => /^[A-Za-z0-9_+-]+$/.test(part));

/** An IANA zone name (Europe/Paris, UTC) that Node's ICU knows; offsets and abbreviations are not. */
export function isKnownTimeZone(name: string): boolean {
  if (!looksLikeIanaName(name)) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
