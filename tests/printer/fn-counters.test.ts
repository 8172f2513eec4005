// The FN's counters (last document, shift, receipts in the shift) are read from the FN for the
// first receipt and carried from each close's reply after that, as long as nothing else could
// have moved them. These tests prove the carried numbers are the FN's own, and that every way
// the FN can change behind the box's back sends the next receipt back to the FN.
import { afterEach, describe, expect, it } from 'vitest';
import { startRig, sale, fiscalReceipts, waitFor, type Rig } from './rig.js';
import { FiscalUncertainError } from '../../firmware/printer/fiscaliser.js';
import { newFnState } from '../../hardware/shtrih-emulator/fn-store.js';
import { encodeCloseV2, encodeOperationV2, OP_TYPE, TAX_BIT } from '../../firmware/printer/codec/commands.js';

const FN_STATUS = 0xff01;
const SHIFT_PARAMS = 0xff40;

/** What a fresh read of the FN says right now (through the driver, in the fiscaliser's queue). */
async function fromFn(rig: Rig): Promise<{ lastFd: number; shift: number; receipts: number }> {
  const fn = await rig.fiscaliser.run((d) => d.fnStatus());
  const shift = await rig.fiscaliser.run((d) => d.shiftParams());
  return { lastFd: fn.lastFd, shift: shift.shift, receipts: shift.receipt };
}

const reads = (rig: Rig) => (rig.emu.device.executed.get(FN_STATUS) ?? 0) + (rig.emu.device.executed.get(SHIFT_PARAMS) ?? 0);

/** Another host sells on the same printer (its second interface), not through the box's line. */
async function foreignSale(rig: Rig, total: number): Promise<void> {
  await rig.fiscaliser.run((d) => d.waitPrinted());
  const op = rig.emu.device.execute(0xff46, encodeOperationV2({
    password: 30, opType: OP_TYPE.sale, qtyMicro: 1_000_000, price: total, sum: total, taxSum: null, taxBits: TAX_BIT.vat20,
    department: 1, paymentMethod: 4, paymentObject: 1, name: 'Другой хост',
  }));
  expect(op[0]).toBe(0);
  const close = rig.emu.device.execute(0xff45, encodeCloseV2({ password: 30, cash: total, other: [], rounding: 0, taxes: [], taxSystemBit: 1, text: '' }));
  expect(close[0]).toBe(0);
}

describe('FN counters carried between receipts (real PTY)', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.close();
  });

  it('after the first receipt the FN is not asked again, and every receipt carries the numbers the FN itself reports', async () => {
    rig = await startRig();
    await rig.print();
    for (const total of [1000, 2000, 3000]) {
      const before = reads(rig);
      const r = await rig.print(sale(total));
      expect(reads(rig)).toBe(before);
      const fn = await fromFn(rig);
      expect(r.fd).toBe(fn.lastFd);
      expect(r.shift).toBe(fn.shift);
      expect(r.receiptInShift).toBe(fn.receipts);
      expect(r.fp).toBe(rig.emu.fn.doc(r.fd)?.fp);
    }
    expect(rig.fiscaliser.stats.countersCarried).toBe(3);
    // The checkpoint stored before each close is the FN's last document at that moment.
    expect(rig.checkpoints.map((c) => c.lastFd)).toEqual([1, 2, 3, 4].map((i) => rig.checkpoints[0]!.lastFd + i - 1));
  });

  it('the driver\'s epoch: queries, items, cancel and the OFD read leave it; an X-report, a failed exchange and a reopened line change it', async () => {
    rig = await startRig({ memory: true });
    const d = rig.driver;
    const e0 = d.epoch;
    await d.shortStatus();
    await d.fnStatus();
    await d.shiftParams();
    await d.unconfirmedCount();
    await d.readOfdMessage();
    await d.operationV2({
      opType: OP_TYPE.sale, qtyMicro: 1_000_000, price: 500, sum: 500, taxSum: null, taxBits: TAX_BIT.vat20,
      department: 1, paymentMethod: 4, paymentObject: 1, name: 'Салфетка',
    });
    await d.cancelReceipt();
    expect(d.epoch).toBe(e0);
    await d.xReport();
    const e1 = d.epoch;
    expect(e1).not.toBe(e0);
    rig.emu.faults.silence = true;
    await expect(d.shortStatus()).rejects.toThrow();
    rig.emu.faults.silence = false;
    const e2 = d.epoch;
    expect(e2).not.toBe(e1);
    rig.transport.lineOpened();
    expect(d.epoch).not.toBe(e2);
  });

  it('a Z-report in between (a document the box asked for outside a receipt): the next receipt reads the FN', async () => {
    rig = await startRig();
    const first = await rig.print();
    await rig.fiscaliser.run((d) => d.zReport());
    const before = reads(rig);
    const r = await rig.print(sale(4200));
    expect(reads(rig)).toBeGreaterThan(before);
    expect(r.shift).toBe(first.shift + 1);
    expect(r.receiptInShift).toBe(1);
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
  });

  it('the line reopened (unplug, replug: maybe another printer): the next receipt reads the FN', async () => {
    rig = await startRig();
    await rig.print();
    await rig.emu.unplug();
    await waitFor(() => rig.connection.state === 'disconnected');
    await rig.emu.replug();
    await rig.connection.waitConnected(5000);
    const before = reads(rig);
    const r = await rig.print(sale(5100));
    expect(reads(rig)).toBeGreaterThan(before);
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
  });

  it('a failed receipt (paper out): the next receipt reads the FN', async () => {
    rig = await startRig();
    await rig.print();
    await rig.emu.applyFault('paper-out');
    await expect(rig.print(sale(700))).rejects.toThrow();
    await rig.emu.applyFault('paper-in');
    const before = reads(rig);
    await rig.print(sale(700));
    expect(reads(rig)).toBeGreaterThan(before);
  });

  it('a sale made past the box: the close shows it, this receipt still gets the FN\'s numbers, and the FN is asked before every receipt from then on', async () => {
    rig = await startRig();
    await rig.print();
    await foreignSale(rig, 99900);
    const r = await rig.print(sale(12345));
    const fn = await fromFn(rig);
    expect(r.fd).toBe(fn.lastFd);
    expect(r.receiptInShift).toBe(fn.receipts);
    expect(r.shift).toBe(fn.shift);
    expect(rig.fiscaliser.stats.foreignDocuments).toBe(1);
    const before = reads(rig);
    await rig.print(sale(100));
    expect(reads(rig)).toBeGreaterThan(before);
  });

  it('the FN swapped while the line stayed open (a printer on RS-232 serviced): the receipt carries the new FN\'s number and numbers', async () => {
    rig = await startRig();
    const old = await rig.print();
    await rig.fiscaliser.run((d) => d.waitPrinted());
    // A new FN whose shift is already open, so the status before the receipt looks the same.
    rig.emu.fn.state = { ...newFnState(), fnNumber: '9999078900099999', shift: { open: true, number: 1, openedAt: new Date().toISOString(), receipts: 0, docs: 0 } };
    const r = await rig.print(sale(6000));
    expect(r.fnNumber).toBe('9999078900099999');
    expect(r.fnNumber).not.toBe(old.fnNumber);
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect(r.qr).toContain('fn=9999078900099999');
    const fn = await fromFn(rig);
    expect(r.shift).toBe(fn.shift);
    expect(r.receiptInShift).toBe(fn.receipts);
  });

  it('a sale made past the box and the close\'s reply lost: the FN is searched past the stale checkpoint, the receipt found, not printed twice', async () => {
    rig = await startRig();
    await rig.print();
    await foreignSale(rig, 88800);
    const before = fiscalReceipts(rig.emu);
    await rig.emu.applyFault('drop-after', 'ff45');
    const err = await rig.print(sale(77700)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FiscalUncertainError);
    const cp = (err as FiscalUncertainError).checkpoint;
    await rig.emu.applyFault('silence', 'off');
    const out = await rig.fiscaliser.reconcile(cp);
    expect(out.fiscalised).toBe(true);
    if (out.fiscalised) {
      // The checkpoint still counted the foreign sale as not there; ours is the one after it.
      expect(out.data.fd).toBe(cp.lastFd + 2);
      expect(out.data.total).toBe(77700);
      expect(out.data.fp).toBe(rig.emu.fn.doc(out.data.fd)?.fp);
    }
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
  });
});
