import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';

export const DEFAULT_BCRYPT_COST = 12;
export const MINIMUM_BCRYPT_COST = 10;

/**
 * bcrypt reads only the first 72 bytes of its input, so two long passwords sharing a prefix
 * would hash the same. Following the OWASP Password Storage Cheat Sheet, every password is first
 * reduced to a fixed 44-byte SHA-256 digest (base64, so no NUL byte can cut it short) and that
 * digest is what bcrypt hashes: every byte of the password counts.
 */
function preHash(plain: string): string {
  return createHash('sha256').update(plain, 'utf8').digest('base64');
}

/** Hashes on libuv's thread pool (bcrypt's async API), so hashing never blocks the event loop. */
export async function hashPassword(plain: string, cost = DEFAULT_BCRYPT_COST): Promise<string> {
  return bcrypt.hash(preHash(plain), Math.max(cost, MINIMUM_BCRYPT_COST));
}

export async function verifyPassword(plain: string, hash: string): Promise<boolean> {
  return bcrypt.compare(preHash(plain), hash);
}

/** The cost factor a stored hash was made with, e.g. 12 for `$2b$12$...`. */
export function costOf(hash: string): number {
  return bcrypt.getRounds(hash);
}
