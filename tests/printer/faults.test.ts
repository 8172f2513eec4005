// Every emulator fault, seen through the driver on a real PTY: a clear typed error, nothing
// fiscalised by a failed attempt, and a clean success once the cause is gone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRig, sale, fiscalReceipts, waitFor, type Rig } from './rig.js';
import { PrinterError, PrinterUnavailableError, PrintTimeoutError } from '../../firmware/printer/errors.js';

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof PrinterError ? err.kind : (err as Error).name;
  }
}

describe('faults over a real PTY', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
    await rig.print();
  });
  afterEach(async () => {
    await rig.close();
  });

  it('paper out mid-receipt: clear error, nothing fiscalised, retry after reload prints once', async () => {
    const before = fiscalReceipts(rig.emu);
    await rig.emu.applyFault('paper-out', '3');
    const three = { ...sale(30000), items: [1, 2, 3].map((i) => ({ ...sale(10000).items[0]!, name: `item ${i}` })) };
    const err = await rig.print(three).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrinterError);
    expect((err as PrinterError).kind).toBe('paper');
    expect((err as PrinterError).action).toMatch(/paper/i);
    expect(fiscalReceipts(rig.emu)).toBe(before);
    expect(rig.emu.device.submode).toBe(2);
    await rig.emu.applyFault('paper-in');
    expect(rig.emu.device.submode).toBe(3);
    const r = await rig.print(three);
    expect(r.total).toBe(30000);
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
  });

  it('paper out before the receipt: refused up front', async () => {
    await rig.emu.applyFault('paper-out');
    expect(await kindOf(rig.print())).toBe('paper');
    await rig.emu.applyFault('paper-in');
    expect(await kindOf(rig.print())).toBe('resolved');
  });

  it('cover open: says so, then works once closed', async () => {
    await rig.emu.applyFault('cover-open');
    const err = (await rig.print().catch((e: unknown) => e)) as PrinterError;
    expect(err.kind).toBe('cover');
    expect(err.ru).toMatch(/крышка/);
    await rig.emu.applyFault('cover-close');
    expect(await kindOf(rig.print())).toBe('resolved');
  });

  it('FN full and FN expired: typed errors, receipt cancelled, no document', async () => {
    const fd = rig.emu.fn.state.lastFd;
    await rig.emu.applyFault('fn-full');
    expect(await kindOf(rig.print())).toBe('fn-full');
    expect(rig.emu.device.receipt).toBeNull();
    await rig.emu.applyFault('fn-full', 'off');
    await rig.emu.applyFault('fn-expired');
    expect(await kindOf(rig.print())).toBe('fn-expired');
    expect((await rig.driver.fnExpiry()).expires.getTime()).toBeLessThan(Date.now());
    expect(rig.emu.fn.state.lastFd).toBe(fd);
  });

  it('shift over 24 h: the sale is refused and the Z-report is the way out', async () => {
    await rig.emu.applyFault('shift-24h');
    expect((await rig.driver.shortStatus()).mode).toBe(3);
    const err = (await rig.print().catch((e: unknown) => e)) as PrinterError;
    expect(err.kind).toBe('shift-expired');
    expect(err.action).toMatch(/Z-report/);
    await rig.driver.zReport();
    expect(await kindOf(rig.print())).toBe('resolved');
  });

  it('slow printer within the bound still prints; beyond it the print is bounded', async () => {
    await rig.emu.applyFault('slow', '150');
    expect(await kindOf(rig.print())).toBe('resolved');
    await rig.emu.applyFault('slow', '5000');
    const t0 = Date.now();
    const quick = rig.fiscaliser.opts.receiptTimeoutMs;
    rig.fiscaliser.opts.receiptTimeoutMs = 2500;
    const kind = await kindOf(rig.print());
    rig.fiscaliser.opts.receiptTimeoutMs = quick;
    expect(['PrintTimeoutError', 'PrinterUnavailableError', 'UncertainOutcomeError']).toContain(kind);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('corrupted replies are re-read, stray bytes skipped, NAK storms resent: each command runs once', async () => {
    const before = rig.emu.device.executed.get(0xff45) ?? 0;
    await rig.emu.applyFault('corrupt', '3');
    await rig.emu.applyFault('noise', '9');
    await rig.emu.applyFault('nak-storm', '4');
    const r = await rig.print();
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect(rig.emu.device.executed.get(0xff45)).toBe(before + 1);
    expect(rig.transport.stats.rereads).toBeGreaterThanOrEqual(3);
    expect(rig.transport.stats.naks).toBeGreaterThanOrEqual(4);
  });

  it('a lost ACK: the reply that follows is read anyway, the command runs once', async () => {
    const before = rig.emu.device.executed.get(0xff45) ?? 0;
    // A receipt is at least three commands (status, item, close): every one loses its ACK.
    await rig.emu.applyFault('lose-ack', '3');
    const t0 = Date.now();
    const r = await rig.print();
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect(rig.emu.device.executed.get(0xff45)).toBe(before + 1);
    expect(rig.emu.faults.lostAcks).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('an endless NAK storm ends as "unavailable" with nothing executed', async () => {
    const fd = rig.emu.fn.state.lastFd;
    await rig.emu.applyFault('nak-storm', '1000');
    await expect(rig.driver.shortStatus()).rejects.toBeInstanceOf(PrinterUnavailableError);
    expect(rig.emu.fn.state.lastFd).toBe(fd);
  });

  it('silence: commands fail as unavailable in bounded time, then work again', async () => {
    await rig.emu.applyFault('silence');
    const t0 = Date.now();
    await expect(rig.driver.shortStatus()).rejects.toBeInstanceOf(PrinterUnavailableError);
    expect(Date.now() - t0).toBeLessThan(2000);
    await rig.emu.applyFault('silence', 'off');
    expect((await rig.driver.shortStatus()).operator).toBe(30);
  });

  it('disconnect: state "disconnected", immediate unavailable errors; replug reconnects', async () => {
    await rig.emu.applyFault('disconnect');
    await waitFor(() => rig.connection.state === 'disconnected');
    const t0 = Date.now();
    await expect(rig.print()).rejects.toBeInstanceOf(PrinterUnavailableError);
    expect(Date.now() - t0).toBeLessThan(100);
    await rig.emu.applyFault('reconnect');
    await rig.connection.waitConnected(5000);
    expect(await kindOf(rig.print())).toBe('resolved');
  });

  it('a print timeout is a typed error', () => {
    expect(new PrintTimeoutError('x').action).toMatch(/fiscal drive/);
  });
});

