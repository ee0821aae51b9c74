import type { NestFastifyApplication } from '@nestjs/platform-fastify';

let sequence = 0;

export interface TestAccount {
  id: string;
  email: string;
  username: string;
  password: string;
  token: string;
  /** `{ authorization: 'Bearer ...' }`, ready for `inject({ headers })`. */
  auth: { authorization: string };
}

export function newAccountData(overrides: Partial<Record<'email' | 'username' | 'name' | 'password', string>> = {}) {
  const unique = `${Date.now().toString(36)}${(++sequence).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return {
    email: `user.${unique}@example.com`,
    username: `user_${unique}`,
    name: 'Test User',
    password: `a passphrase for ${unique}`,
    ...overrides,
  };
}

/** Registers a fresh account through the API and logs it in. */
export async function registerAndLogin(app: NestFastifyApplication, overrides = {}): Promise<TestAccount> {
  const data = newAccountData(overrides);
  const registered = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: data });
  if (registered.statusCode !== 201) {
    throw new Error(`register failed: ${registered.statusCode} ${registered.body}`);
  }
  const token = await login(app, data.username, data.password);
  return { id: registered.json().id, email: data.email, username: data.username, password: data.password, token, auth: { authorization: `Bearer ${token}` } };
}

export async function login(app: NestFastifyApplication, loginName: string, password: string, remoteAddress?: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: loginName, password },
    ...(remoteAddress ? { remoteAddress } : {}),
  });
  if (response.statusCode !== 200) {
    throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  }
  return response.json().accessToken;
}
