// The ERP served for real on 127.0.0.1 (ephemeral port) over a temp hub database, with a
// small JSON client that signs in and speaks to /api/v1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../shared/logger.js';
import { startStandaloneErp, type StandaloneErp } from '../../hub/erp/standalone.js';
import type { FleetProvider } from '../../hub/erp/app.js';

/** Response JSON is checked by the tests' expect() calls, so it is typed loosely on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Api {
  token: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; type: string; body: Json }>;
}

export interface ErpServer extends StandaloneErp {
  dir: string;
  login(username: string, password: string): Promise<Api>;
  admin(): Promise<Api>;
  /** Creates a user through the admin API and signs in as it. */
  userApi(role: 'optician' | 'manager' | 'admin'): Promise<Api>;
  close(): Promise<void>;
}

export async function startErpServer(opts: { fleetProvider?: FleetProvider } = {}): Promise<ErpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'erp-http-'));
  const s = await startStandaloneErp({ dataDir: dir, logger: silentLogger(), env: {}, fleetProvider: opts.fleetProvider });
  const request = async (token: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload: RequestInit['body'];
    if (typeof body === 'string' || body instanceof Uint8Array) payload = body as string | Uint8Array;
    else if (body !== undefined) { payload = JSON.stringify(body); h['content-type'] ??= 'application/json'; }
    const res = await fetch(`${s.url}${path}`, { method, headers: h, body: payload, redirect: 'manual' });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    return { status: res.status, type, body: type.includes('json') && text ? JSON.parse(text) : text };
  };
  const login = async (username: string, password: string): Promise<Api> => {
    const r = await request(null, 'POST', '/api/v1/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    const token = r.body.token as string;
    return { token, call: (m, p, b, h) => request(token, m, p, b, h) };
  };
  let n = 0;
  const admin = () => login(s.credentials.username, s.credentials.password);
  return {
    ...s, dir, login, admin,
    userApi: async (role) => {
      const a = await admin();
      n += 1;
      const username = `${role}${n}`;
      const r = await a.call('POST', '/api/v1/users', { username, password: 'secret-pass-1', role });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return login(username, 'secret-pass-1');
    },
    close: async () => {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The path of a sample price list the repo ships. */
export const samplePath = (name: string) => new URL(`../../hub/erp/samples/${name}`, import.meta.url);
