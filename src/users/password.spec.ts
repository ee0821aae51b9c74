import { costOf, hashPassword, verifyPassword } from './password.js';

describe('password hashing', () => {
  it('salts every hash: the same password hashes differently twice, and both verify', async () => {
    const first = await hashPassword('correct horse battery staple', 10);
    const second = await hashPassword('correct horse battery staple', 10);
    expect(first).not.toEqual(second);
    expect(await verifyPassword('correct horse battery staple', first)).toBe(true);
    expect(await verifyPassword('correct horse battery staple', second)).toBe(true);
  });

  it('rejects a wrong password', async () => {
    const hash = await hashPassword('correct horse battery staple', 10);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
  });

  it('counts every byte: a password sharing only its first 72 bytes does not verify', async () => {
    const prefix = 'a'.repeat(72);
    const hash = await hashPassword(`${prefix}-the-rest-matters`, 10);
    expect(await verifyPassword(prefix, hash)).toBe(false);
    expect(await verifyPassword(`${prefix}-the-rest-differs`, hash)).toBe(false);
    expect(await verifyPassword(`${prefix}-the-rest-matters`, hash)).toBe(true);
  });

  it('accepts long Unicode passwords whole', async () => {
    const emoji = '🔐'.repeat(64);
    const hash = await hashPassword(emoji, 10);
    expect(await verifyPassword(emoji, hash)).toBe(true);
    expect(await verifyPassword('🔐'.repeat(63), hash)).toBe(false);
  });

  it('never goes below cost 10 and uses the cost asked for above it', async () => {
    expect(costOf(await hashPassword('some password', 4))).toBe(10);
    expect(costOf(await hashPassword('some password', 11))).toBe(11);
  });
});
