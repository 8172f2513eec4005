// kill -9 of the box process in the middle of a print: the restarted box asks the FN and
// settles the receipt (printed exactly once, or print_failed and printed once on retry).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { tempDir } from '../helpers/temp-dir.js';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import { startTestBox } from '../helpers/box-server.js';
import { printerOverrides } from '../helpers/printer-box.js';
import { saleBody } from '../helpers/receipts.js';

const main = new URL('../../firmware/main.ts', import.meta.url).pathname;
const TOKEN = 'crash-test-token-0123456';
let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function boxProcess(dataDir: string, tty: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', main], {
    env: {
      PATH: process.env.PATH ?? '', BOX_API__PORT: '0', BOX_DATA_DIR: dataDir, BOX_API__POS_TOKENS: TOKEN, BOX_PRINTER__ENABLED: 'true',
      BOX_PRINTER__PATH: tty, BOX_PRINTER__RECONCILE_WAIT_MS: '60000', BOX_PRINTER__RECEIPT_TIMEOUT_MS: '90000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
  let url = '';
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const m = JSON.parse(l) as { msg: string; url?: string };
    if (m.msg === 'box LAN API listening' && m.url) url = m.url;
  });
  await expect.poll(() => url, { timeout: 20_000 }).not.toBe('');
  return { proc, url };
}

const post = (url: string, key: string) => fetch(`${url}/v1/kkt/receipt`, {
  method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(saleBody()),
});

describe('box killed mid-print', () => {
  it.each([
    ['after the close executed (reply lost)', 'ff45', 1, 'printed'],
    ['while sending items (before the close)', 'ff46', 0, 'print_failed'],
  ])('%s: settled on restart, never printed twice', async (_name, cmd, fiscalAfterCrash, statusAfterRestart) => {
    const emuDir = tempDir('kkt-crash-');
    const data = tempDir('box-crash-');
    const emu = await ShtrihEmulator.onPty({ dir: emuDir.path, printLineMs: 1 });
    cleanup.push(() => emuDir.remove(), () => data.remove(), () => emu.stop());
    const { proc, url } = await boxProcess(data.path, emu.hostPath);
    await emu.applyFault('drop-after', cmd);
    const key = randomUUID();
    const pending = post(url, key).catch(() => null);
    await expect.poll(() => emu.faults.silence, { timeout: 10_000 }).toBe(true);
    proc.kill('SIGKILL');
    await once(proc, 'exit');
    await pending;
    await emu.applyFault('silence', 'off');
    const receipts = () => emu.fn.state.docs.filter((d) => d.form === 3).length;
    expect(receipts()).toBe(fiscalAfterCrash);

    const t = await startTestBox({ ...printerOverrides(emu.hostPath, data.path), api: { posTokens: [TOKEN] } });
    cleanup.push(() => t.box.stop());
    const [r] = t.box.buffer.db.prepare('SELECT id, status FROM receipts').all() as { id: string; status: string }[];
    expect(r?.status).toBe(statusAfterRestart);
    const retry = await post(t.url, key);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ receipt_id: r?.id, status: 'printed' });
    expect(receipts()).toBe(1);
  }, 90_000);
});
