// A JSON client for the ERP as the hub serves it (/api/v1 on the hub's HTTP port), and a poll
// for conditions that need an HTTP round trip.
import type { Api, Json } from './erp-http.js';

export async function hubErpLogin(baseUrl: string, username: string, password: string): Promise<Api> {
  const call = async (token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; type: string; body: Json }> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    return { status: res.status, type, body: type.includes('json') && text ? JSON.parse(text) : text };
  };
  const r = await call(null, 'POST', '/api/v1/auth/login', { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  const token = r.body.token as string;
  return { token, call: (m, p, b) => call(token, m, p, b) };
}

/** Polls `probe` until `ok` holds for its value; returns that value. */
export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
