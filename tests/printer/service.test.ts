// PrinterService as the box wires it: config defaults, health over a real PTY, problem mapping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import { PrinterService } from '../../firmware/printer/service.js';
import { printerConfigSchema } from '../../firmware/printer/config.js';
import { printerProblem } from '../../firmware/printer/problem.js';
import { PrinterError, PrinterUnavailableError } from '../../firmware/printer/errors.js';
import { FiscalUncertainError } from '../../firmware/printer/fiscaliser.js';
import { silentLogger } from '../../shared/logger.js';
import { sale, waitFor } from './rig.js';

describe('printer config', () => {
  it('defaults to /dev/kkt at 115200 with a 10 s receipt bound and names bad keys', () => {
    const c = printerConfigSchema.parse({});
    expect(c).toMatchObject({ path: '/dev/kkt', baudRate: 115200, receiptTimeoutMs: 10_000 });
    const bad = printerConfigSchema.safeParse({ baudRate: 1234, taxSystemBit: 3 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(['baudRate', 'taxSystemBit']);
  });
});

describe('PrinterService over a real PTY', () => {
  let dir: string;
  let emu: ShtrihEmulator;
  let svc: PrinterService;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kkt-svc-'));
    emu = await ShtrihEmulator.onPty({ dir, printLineMs: 1 });
    svc = new PrinterService(printerConfigSchema.parse({ path: emu.hostPath, ackTimeoutMs: 300 }), silentLogger());
    await svc.start();
    await svc.connection.waitConnected(5000);
  });
  afterAll(async () => {
    await svc.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('health: shift closed, paper ok, FN days left, nothing unconfirmed', async () => {
    const h = await svc.readHealth();
    expect(h).toMatchObject({ connected: true, mode: 'shift-closed', paper: 'ok', coverOpen: false });
    expect(h.fn?.daysLeft).toBeGreaterThan(300);
    expect(h.fn?.unconfirmed).toBe(0);
  });

  it('health after a sale: shift open with its age, unconfirmed documents and the oldest age', async () => {
    await svc.print(sale(1000), () => undefined);
    const h = await svc.readHealth();
    expect(h.mode).toBe('shift-open');
    expect(h.shift).toMatchObject({ open: true, receipts: 1 });
    expect(h.shift?.ageMinutes).toBe(0);
    expect(h.fn?.unconfirmed).toBe(2);
    expect(h.fn?.oldestUnconfirmedAgeMinutes).toBe(0);
  });

  it('health reports paper out and a shift past 24 h', async () => {
    await emu.applyFault('paper-out');
    await emu.applyFault('shift-24h');
    svc.health.invalidate();
    const h = await svc.readHealth();
    expect(h.paper).toBe('out');
    expect(h.mode).toBe('shift-expired');
    await emu.applyFault('clear');
    await svc.closeShift();
    svc.health.invalidate();
    expect((await svc.readHealth()).mode).toBe('shift-closed');
  });

  it('X-report, shift open and Z-report through the service', async () => {
    await svc.openShift();
    await svc.xReport();
    await svc.closeShift();
    expect(emu.fn.state.shift.open).toBe(false);
  });

  it('health says disconnected while unplugged', async () => {
    await emu.unplug();
    await waitFor(() => svc.state === 'disconnected');
    expect(await svc.readHealth()).toEqual({ connected: false, state: 'disconnected' });
    await emu.replug();
    await svc.connection.waitConnected(5000);
    expect((await svc.readHealth()).connected).toBe(true);
  });
});

describe('printer problems for the API', () => {
  it('paper out: 503 with the cashier action and fiscalised=false', () => {
    const p = printerProblem(new PrinterError(0x6b, 0xff46))!;
    expect(p.status).toBe(503);
    expect(p.body.type).toMatch(/printer-paper$/);
    expect(p.body.detail).toMatch(/Load a new paper roll/);
    expect(p.body.fiscalised).toBe(false);
    expect(p.headers['retry-after']).toBe('5');
  });
  it('shift over 24 h: 409 telling the POS to run a Z-report', () => {
    const p = printerProblem(new PrinterError(0x4e, 0xff46))!;
    expect(p.status).toBe(409);
    expect(p.body.detail).toMatch(/Z-report/);
  });
  it('disconnected: 503; unknown outcome: 504 with fiscalised=null', () => {
    expect(printerProblem(new PrinterUnavailableError('gone'))!.status).toBe(503);
    const u = printerProblem(new FiscalUncertainError('lost', { lastFd: 1, operation: 1, total: 1, at: '' }))!;
    expect(u.status).toBe(504);
    expect(u.body.fiscalised).toBeNull();
    expect(printerProblem(new Error('other'))).toBeNull();
  });
});
