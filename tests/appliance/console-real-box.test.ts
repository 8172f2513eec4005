// The field-tech console over a real pseudo-terminal against a REAL box service: the Box with
// the Shtrih emulator on a PTY, SQLite in a temp dir, Koa on 127.0.0.1. The status screen
// shows the printer and buffer facts the box's own /health and buffer status report, and the
// test print, X-report and Z-report actions reach the printer.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrinterBox, type PrinterBox } from '../helpers/printer-box.js';
import { TEST_TOKEN } from '../helpers/box-server.js';
import { saleBody } from '../helpers/receipts.js';
import { PtySession } from './helpers/pty.js';

const MAIN = join(import.meta.dirname, '../../firmware/console/main.ts');

describe('field-tech console against the real box', () => {
  let pb: PrinterBox;
  let data: string;
  let s: PtySession | undefined;

  beforeAll(async () => {
    pb = await startPrinterBox();
    expect((await pb.post(saleBody())).status).toBe(201);
    data = mkdtempSync(join(tmpdir(), 'console-real-'));
    mkdirSync(join(data, 'config'));
    writeFileSync(join(data, 'config/box.json'), JSON.stringify({ uplink: { storeId: 'msk-017', boxId: 'box-017-a' }, api: { posTokens: [TEST_TOKEN] } }));
    s = new PtySession(`${process.execPath} --import tsx ${MAIN}`, { ...process.env, OPTICSERP_API_URL: pb.url, OPTICSERP_DATA_DIR: data });
    await s.waitFor(/Choice: $/);
  }, 30_000);
  afterAll(async () => {
    s?.kill();
    await pb?.stopAll();
    rmSync(data, { recursive: true, force: true });
  });

  it('status at a glance shows the printer, FN and buffer facts of the real /health', async () => {
    const out = await s!.type('1');
    expect(out).toMatch(/store msk-017 {2}box box-017-a/);
    expect(out).toMatch(/Service +healthy \(HTTP 200\)/);
    expect(out).toMatch(/Printer +connected=true state=connected mode=shift-open paper=ok/);
    expect(out).toMatch(new RegExp(`FN +number=${pb.emu.fn.state.fnNumber} daysLeft=\\d+ unconfirmed=2`));
    expect(out).toMatch(/Buffer +total_capacity=10000 current_queued=1 /);
  });

  it('test print puts lines on the tape and no document in the FN', async () => {
    const docs = pb.emu.fn.state.docs.length;
    expect(await s!.type('2')).toMatch(/Test print: OK \(200\) printed=test lines=3/);
    expect(pb.emu.device.tape).toContain('OpticsERP: test print');
    expect(pb.emu.fn.state.docs.length).toBe(docs);
  });

  it('X-report and Z-report reach the printer; a second Z-report is refused plainly', async () => {
    expect(await s!.type('3')).toMatch(/X-report: OK \(200\) printed=x-report shift_open=true shift_number=1 receipts_in_shift=1/);
    expect(pb.emu.fn.state.shift.open).toBe(true);
    await s!.type('6', /anything else cancels: $/);
    expect(await s!.type('YES')).toMatch(/Close shift: OK \(200\) printed=z-report shift_open=false shift_number=1/);
    expect(pb.emu.fn.state.shift.open).toBe(false);
    await s!.type('6', /anything else cancels: $/);
    expect(await s!.type('YES')).toMatch(/Close shift: FAILED \(409\)/);
  });

  it('off the image (no provisioned config), the token comes from OPTICSERP_POS_TOKEN', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'console-bare-'));
    const bare = new PtySession(`${process.execPath} --import tsx ${MAIN}`, { ...process.env, OPTICSERP_API_URL: pb.url, OPTICSERP_DATA_DIR: empty, OPTICSERP_POS_TOKEN: TEST_TOKEN });
    try {
      await bare.waitFor(/Choice: $/);
      expect(await bare.type('1')).toMatch(/Buffer +total_capacity=10000 current_queued=1 /);
    } finally {
      bare.kill();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
