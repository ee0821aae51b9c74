import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes from the CSPRNG, base64url: shown to the client once, never stored. */
export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps instead of the token: its SHA-256, hex. */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
