import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { tempDir } from '../helpers/temp-dir.js';

const main = new URL('../../firmware/main.ts', import.meta.url).pathname;
let dirs: { remove(): void }[] = [];
let procs: ChildProcess[] = [];
afterEach(() => {
  procs.forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  dirs.forEach((d) => d.remove());
  procs = [];
  dirs = [];
});

function runBox(env: Record<string, string>): ChildProcess {
  const p = spawn(process.execPath, ['--import', 'tsx', main], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  return p;
}

describe('firmware/main.ts as a process', () => {
  it('exits 78 naming every bad config key', async () => {
    const p = runBox({ BOX_API__PORT: 'eighty', BOX_RECEIPT__DEFAULT_VAT: 'vat18' });
    let err = '';
    p.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    const [code] = await once(p, 'exit');
    expect(code).toBe(78);
    expect(err).toMatch(/api\.port/);
    expect(err).toMatch(/receipt\.defaultVat/);
    expect(err).toMatch(/api\.posTokens/);
  });

  it('serves, then stops cleanly on SIGTERM', async () => {
    const d = tempDir();
    dirs.push(d);
    const p = runBox({ BOX_API__PORT: '0', BOX_DATA_DIR: d.path, BOX_API__POS_TOKENS: 'process-test-token-123456' });
    const exited = once(p, 'exit');
    const lines = createInterface({ input: p.stdout! });
    let url = '';
    const stopped = new Promise<void>((resolve) => {
      lines.on('line', (l) => {
        const m = JSON.parse(l) as { msg: string; url?: string };
        if (m.msg === 'box LAN API listening' && m.url) url = m.url;
        if (m.msg === 'box stopped') resolve();
      });
    });
    await expect.poll(() => url, { timeout: 20_000 }).not.toBe('');
    expect((await fetch(`${url}/health`)).status).toBe(200);
    p.kill('SIGTERM');
    await stopped;
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
