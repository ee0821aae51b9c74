const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** An IANA zone name (Europe/Paris, UTC) that Node's ICU knows; offsets and abbreviations are not. */
export function isKnownTimeZone(name: string): boolean {
  if (!IANA_NAME.test(name)) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
