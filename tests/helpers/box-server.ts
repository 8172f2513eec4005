// Starts a real box (Koa on 127.0.0.1, port 0, SQLite in a temp dir) for integration tests.
import { randomUUID } from 'node:crypto';
import { Box, type BoxOptions } from '../../firmware/box.js';
import { loadBoxConfig } from '../../firmware/config.js';
import { silentLogger } from '../../shared/logger.js';
import { tempDir } from './temp-dir.js';

export const TEST_TOKEN = 'test-pos-token-0123456789';

export interface TestBox {
  box: Box;
  url: string;
  dataDir: string;
  post(body: unknown, opts?: { key?: string | null; token?: string | null; contentType?: string; raw?: string }): Promise<Response>;
  get(path: string, token?: string | null): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTestBox(overrides: Record<string, unknown> = {}, opts: BoxOptions = {}): Promise<TestBox> {
  const dir = tempDir('box-');
  const config = loadBoxConfig({
    env: {},
    overrides: { dataDir: dir.path, ...overrides, api: { port: 0, posTokens: [TEST_TOKEN], ...(overrides.api as object | undefined) } },
  });
  const box = new Box(config, { log: silentLogger(), ...opts });
  const url = await box.start();
  const auth = (token: string | null | undefined): Record<string, string> =>
    token === null ? {} : { authorization: `Bearer ${token ?? TEST_TOKEN}` };
  return {
    box, url, dataDir: dir.path,
    post: (body, o = {}) => fetch(`${url}/v1/kkt/receipt`, {
      method: 'POST',
      headers: {
        ...auth(o.token), 'content-type': o.contentType ?? 'application/json',
        ...(o.key === null ? {} : { 'idempotency-key': o.key ?? randomUUID() }),
      },
      body: o.raw ?? JSON.stringify(body),
    }),
    get: (path, token) => fetch(`${url}${path}`, { headers: auth(token) }),
    async stop() {
      await box.stop();
      dir.remove();
    },
  };
}
