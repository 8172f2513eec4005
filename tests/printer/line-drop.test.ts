// The dangerous case: the line drops or goes silent after the printer may have fiscalised.
// The driver must ask the FN, never fiscalise the same sale twice, never claim a sale that
// was not fiscalised.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRig, sale, fiscalReceipts, waitFor, type Rig } from './rig.js';
import { FiscalUncertainError } from '../../firmware/printer/fiscaliser.js';
import { PrinterUnavailableError } from '../../firmware/printer/errors.js';

describe('line drop mid-receipt over a real PTY', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.close();
  });

  it('reply to the close lost, printer back within the window: the FN says fiscalised, data returned, one document', async () => {
    rig = await startRig();
    await rig.print();
    const before = fiscalReceipts(rig.emu);
    await rig.emu.applyFault('drop-after', 'ff45');
    setTimeout(() => void rig.emu.applyFault('silence', 'off'), 600);
    const r = await rig.print(sale(77700));
    expect(r.total).toBe(77700);
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect(r.fp).toBe(rig.emu.fn.doc(r.fd)?.fp);
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
  });

  it('printer stays silent: FiscalUncertainError (never success); reconcile later finds the one document', async () => {
    rig = await startRig();
    await rig.print();
    const before = fiscalReceipts(rig.emu);
    await rig.emu.applyFault('drop-after', 'ff45');
    const err = await rig.print(sale(55500)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FiscalUncertainError);
    const cp = (err as FiscalUncertainError).checkpoint;
    expect(cp).toEqual(rig.checkpoints.at(-1));
    await rig.emu.applyFault('silence', 'off');
    const out = await rig.fiscaliser.reconcile(cp);
    expect(out.fiscalised).toBe(true);
    if (out.fiscalised) {
      expect(out.data.total).toBe(55500);
      expect(out.data.fd).toBe(cp.lastFd + 1);
    }
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
    // Asking again does not invent a second document.
    const again = await rig.fiscaliser.reconcile(cp);
    expect(again.fiscalised && again.data.fd).toBe(cp.lastFd + 1);
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
  });

  it('unplug right after the close executed: uncertain, then after replug reconcile says fiscalised', async () => {
    rig = await startRig();
    await rig.print();
    const before = fiscalReceipts(rig.emu);
    await rig.emu.applyFault('drop-after', 'ff45:disconnect');
    const err = await rig.print(sale(12300)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FiscalUncertainError);
    expect(rig.connection.state).toBe('disconnected');
    await rig.emu.replug();
    await rig.connection.waitConnected(5000);
    const out = await rig.fiscaliser.reconcile((err as FiscalUncertainError).checkpoint);
    expect(out.fiscalised).toBe(true);
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
  });

  it('unplug during an item (before the close): not fiscalised; the retry after replug prints exactly once', async () => {
    rig = await startRig();
    await rig.print();
    const before = fiscalReceipts(rig.emu);
    await rig.emu.applyFault('drop-after', 'ff46:disconnect');
    const err = await rig.print(sale(4400)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrinterUnavailableError);
    expect(fiscalReceipts(rig.emu)).toBe(before);
    expect(rig.emu.device.receipt).not.toBeNull();
    await rig.emu.replug();
    await rig.connection.waitConnected(5000);
    const r = await rig.print(sale(4400));
    expect(r.total).toBe(4400);
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
  });

  it('reconcile of a checkpoint whose close never ran: not fiscalised, open receipt cancelled', async () => {
    rig = await startRig();
    await rig.print();
    await rig.driver.operationV2({ opType: 1, qtyMicro: 1e6, price: 999, sum: 999, taxSum: null, taxBits: 1, department: 1, paymentMethod: 4, paymentObject: 1, name: 'x' });
    const out = await rig.fiscaliser.reconcile({ lastFd: rig.emu.fn.state.lastFd, operation: 1, total: 999, at: new Date().toISOString() });
    expect(out.fiscalised).toBe(false);
    expect(rig.emu.device.receipt).toBeNull();
  });

  it('a same-amount receipt printed before the checkpoint is not mistaken for ours', async () => {
    rig = await startRig();
    const first = await rig.print(sale(5000));
    const out = await rig.fiscaliser.reconcile({ lastFd: first.fd, operation: 1, total: 5000, at: new Date().toISOString() });
    expect(out.fiscalised).toBe(false);
  });
});

describe('unplug and replug', () => {
  it('reconnects by itself with backoff and reports the state changes', async () => {
    const rig = await startRig();
    const states: string[] = [];
    rig.connection.on('state', (s) => states.push(s));
    await rig.emu.unplug();
    await waitFor(() => rig.connection.state === 'disconnected');
    await expect(rig.driver.shortStatus()).rejects.toBeInstanceOf(PrinterUnavailableError);
    await new Promise((r) => setTimeout(r, 300));
    await rig.emu.replug();
    await rig.connection.waitConnected(5000);
    expect((await rig.driver.shortStatus()).operator).toBe(30);
    expect(states).toEqual(['disconnected', 'connected']);
    await rig.close();
  });
});

describe('emulator restart', () => {
  it('keeps the FN document counter and shift across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kkt-persist-'));
    const a = await startRig({ dir });
    const r = await a.print();
    await a.close();
    const b = await startRig({ dir });
    expect((await b.driver.fnStatus()).lastFd).toBe(r.fd);
    const r2 = await b.print();
    expect(r2.fd).toBe(r.fd + 1);
    expect(r2.shift).toBe(r.shift);
    expect((await b.driver.readDocument(r.fd)).json['1020']).toBe(r.total);
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
