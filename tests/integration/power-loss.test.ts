// The power-loss sequence end to end: a real box on 127.0.0.1, a sale being printed when the
// simulated UPS line drops, the POS told 503 with Retry-After, and a real process powering
// "off" (a marker command) after `npm run mains -- off` style file control.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Fiscaliser, FiscalResult } from '../../firmware/fiscal/fiscaliser.js';
import type { PowerState } from '../../firmware/power/power-sequence.js';
import { SimulatedGpio, writeMainsFile } from '../../firmware/power/simulated-gpio.js';
import { openDatabase } from '../../shared/db.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { saleBody } from '../helpers/receipts.js';
import { tempDir } from '../helpers/temp-dir.js';

let t: TestBox | null = null;
let procs: ChildProcess[] = [];
let dirs: { remove(): void }[] = [];
afterEach(async () => {
  await t?.stop();
  t = null;
  procs.forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  dirs.forEach((d) => d.remove());
  procs = [];
  dirs = [];
});

const fiscal = { fiscal_document_number: 7, fiscal_sign: '1234567890', fn_serial: '9999078900004312', printed_at: '2026-11-25T12:00:00Z' };

function waitForState(t: TestBox, want: PowerState): Promise<void> {
  return new Promise((resolve) => {
    if (t.box.power.state === want) resolve();
    t.box.power.on('state', (s) => s === want && resolve());
  });
}

describe('power loss over HTTP (GPIO simulator)', () => {
  it('finishes the sale in flight, refuses new ones with 503 + Retry-After, checkpoints, and stops after the grace', async () => {
    const gpio = new SimulatedGpio(0);
    let startPrint!: () => void;
    const printing = new Promise<void>((r) => { startPrint = r; });
    let finishPrint!: (r: FiscalResult) => void;
    const printer: Fiscaliser = { fiscalise: () => { startPrint(); return new Promise((resolve) => { finishPrint = resolve; }); } };
    const powerOffs: string[] = [];
    const published: Record<string, unknown>[] = [];
    t = await startTestBox({ power: { debounceMs: 20, graceMs: 400 } }, {
      gpio, fiscaliser: printer, powerOff: async () => { powerOffs.push('poweroff'); },
      status: { publish: async (subject, s) => { if (subject === 'power') published.push(s); } },
    });
    const first = t.post(saleBody());
    await printing;
    gpio.set(1); // X728: high = mains lost
    await waitForState(t, 'on_battery');
    const refused = await t.post(saleBody());
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ type: expect.stringMatching(/power-loss$/), cashier_message: expect.stringMatching(/питание/) });
    expect(published.map((p) => p.state)).toEqual(['mains']); // checkpoint waits for the print
    finishPrint({ status: 'printed', fiscal });
    const done = await first;
    expect(done.status).toBe(201);
    expect(await done.json()).toMatchObject({ status: 'printed', fiscal });
    await expect.poll(() => published.map((p) => p.state)).toEqual(['mains', 'on_battery']);
    const dir = t.dataDir;
    await waitForState(t, 'stopped');
    expect(powerOffs).toEqual(['poweroff']);
    expect(published.map((p) => p.state)).toEqual(['mains', 'on_battery', 'shutting_down']);
    // Clean close: the WAL was checkpointed into the main file and truncated.
    expect(existsSync(join(dir, 'box.db-wal'))).toBe(false);
    const db = openDatabase(join(dir, 'box.db'), { readonly: true });
    expect((db.prepare("SELECT COUNT(*) AS n FROM receipts WHERE status = 'printed'").get() as { n: number }).n).toBe(1);
    db.close();
  });

  it('a flicker within the grace: sales resume without a restart', async () => {
    const gpio = new SimulatedGpio(0);
    const powerOffs: string[] = [];
    t = await startTestBox({ power: { debounceMs: 20, graceMs: 60_000 } }, { gpio, powerOff: async () => { powerOffs.push('x'); } });
    gpio.set(1);
    await waitForState(t, 'on_battery');
    expect((await t.post(saleBody())).status).toBe(503);
    const onBattery = await (await t.get('/health')).json() as { status: string; degraded: string[] };
    expect(onBattery).toMatchObject({ status: 'degraded', degraded: ['power'] });
    gpio.set(0);
    await waitForState(t, 'mains');
    expect((await t.post(saleBody())).status).toBe(201);
    expect((await (await t.get('/health')).json() as { degraded: string[] }).degraded).toEqual([]);
    expect(powerOffs).toEqual([]);
  });
});

describe('firmware/main.ts with the file-driven simulator', () => {
  it('`mains off` makes the process stop cleanly and run the power-off command; exit 0', async () => {
    const d = tempDir('power-proc-');
    dirs.push(d);
    const marker = join(d.path, 'powered-off');
    const config = join(d.path, 'box.json');
    writeFileSync(config, JSON.stringify({
      dataDir: d.path, api: { port: 0, posTokens: ['power-process-token-1234'] },
      power: { gpio: 'simulator', debounceMs: 20, graceMs: 300, poweroffCommand: ['touch', marker] },
    }));
    const p = spawn(process.execPath, ['--import', 'tsx', new URL('../../firmware/main.ts', import.meta.url).pathname, config],
      { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    const exited = once(p, 'exit');
    const msgs: string[] = [];
    createInterface({ input: p.stdout! }).on('line', (l) => msgs.push((JSON.parse(l) as { msg: string }).msg));
    await expect.poll(() => msgs, { timeout: 20_000 }).toContain('box LAN API listening');
    writeMainsFile(join(d.path, 'mains'), 'off');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(msgs).toEqual(expect.arrayContaining(['mains lost: sales paused', 'orderly shutdown', 'box stopped', 'asking the OS to power off']));
  });
});
