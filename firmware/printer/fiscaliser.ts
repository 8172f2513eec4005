// One receipt, start to finish, bounded in time, and never fiscalised twice. The only command
// that creates a fiscal document is the receipt close (FF45h). Before sending it we hand the
// caller a checkpoint (the FN's last document number) to store durably; if the close's outcome
// is unknown (line dropped, reply lost, time ran out) we ask the FN which documents it made
// since the checkpoint instead of guessing. `reconcile` does the same after a box restart.
//
// The FN's counters (last document, shift, receipts in it) are read from the FN for the first
// receipt and then carried forward from each close's own reply, as long as the driver's epoch
// shows that nothing else could have moved them (docs/printer.md, "FN counters").
import { setTimeout as sleep } from 'node:timers/promises';
import type { Receipt, VatCode } from '../../shared/receipt.js';
import { PAYMENT_METHODS, PAYMENT_OBJECTS } from '../../shared/receipt.js';
import { formatRubles } from '../../shared/money.js';
import { OP_TYPE, TAX_BIT } from './codec/commands.js';
import { ShtrihDriver } from './driver.js';
import { PrinterError, PrinterUnavailableError, PrintTimeoutError, UncertainOutcomeError } from './errors.js';
import type { Logger } from '../../shared/logger.js';

export interface FiscalData {
  fd: number;
  fp: number;
  fnNumber: string;
  shift: number;
  receiptInShift: number;
  dateTime: string;
  qr: string;
  /** 1054: 1 sale, 2 refund. */
  operation: number;
  total: number;
}

/** Stored by the caller before the close is sent; enough to find the receipt in the FN later. */
export interface Checkpoint { lastFd: number; operation: number; total: number; at: string }

/** The close may or may not have fiscalised and the FN could not be asked yet. */
export class FiscalUncertainError extends Error {
  readonly ru = 'Неизвестно, пробит ли чек';
  readonly action = 'Do not sell again yet: the box checks the fiscal drive as soon as the printer answers.';
  constructor(message: string, readonly checkpoint: Checkpoint) {
    super(message);
    this.name = 'FiscalUncertainError';
  }
}

export type ReconcileResult = { fiscalised: true; data: FiscalData } | { fiscalised: false };

/** FF46h tax byte; 5 % and 7 % (2025 rates) are 0x81/0x82 on current firmware (pyshtrih). */
const VAT_BITS: Record<VatCode, number> = {
  vat22: TAX_BIT.vat20, vat20: TAX_BIT.vat20, vat10: TAX_BIT.vat10, vat0: TAX_BIT.vat0, none: TAX_BIT.none,
  vat22_122: TAX_BIT.vat20_120, vat20_120: TAX_BIT.vat20_120, vat10_110: TAX_BIT.vat10_110, vat5: 0x81, vat7: 0x82,
};

export interface FiscaliserOptions {
  /** Whole receipt bound (seed: 10 s). */
  receiptTimeoutMs: number;
  /** Tax system bit for FF45h (1 = OSN). */
  taxSystemBit: number;
  /** How long reconciliation keeps asking a silent printer before giving up as uncertain. */
  reconcileWaitMs: number;
}

/** Close errors saying there is no receipt to close (55h receipt closed, 73h wrong mode). */
const RECEIPT_GONE = new Set([0x55, 0x73]);

/** How many documents after a checkpoint reconciliation looks at for the receipt. */
const RECONCILE_SCAN = 8;

/** The FN's counters as a close left them, valid while the driver's epoch is unchanged. */
interface FnCounters { epoch: string; fnNumber: string; lastFd: number; shift: number; receiptsInShift: number; dateTime: Date }

/**
 * Runs `fn` once the frame of a command just started has been handed to the serial binding;
 * resolves with its error. The transport writes the bytes put in one turn of the event loop
 * from a setImmediate of that turn (Transport.put), and the frame is put only after a few
 * microtasks, so `fn` waits for the turn after: its blocking fsync then overlaps the device's
 * work instead of delaying the frame.
 */
function afterPendingWrites(fn: () => void): Promise<Error | null> {
  return new Promise((resolve) => {
    setImmediate(() => setImmediate(() => {
      try {
        fn();
        resolve(null);
      } catch (err) {
        resolve(err as Error);
      }
    }));
  });
}

export const DEFAULT_FISCALISER: FiscaliserOptions = { receiptTimeoutMs: 10_000, taxSystemBit: 1, reconcileWaitMs: 3000 };

export function qrString(d: { dateTime: string; total: number; fnNumber: string; fd: number; fp: number; operation: number }): string {
  const t = d.dateTime.replace(/[-:]/g, '').slice(0, 13);
  return `t=${t}&s=${formatRubles(d.total)}&fn=${d.fnNumber}&i=${d.fd}&fp=${d.fp}&n=${d.operation}`;
}

export class Fiscaliser {
  private tail: Promise<unknown> = Promise.resolve();
  private counters: FnCounters | null = null;
  /**
   * Cleared for the life of the process once a close's document number shows the FN made a
   * document this box did not ask for (another host on the printer's second interface, a
   * keyboard model): from then on every receipt reads the counters from the FN.
   */
  private carryCounters = true;
  /** Receipts whose counters came from the previous close rather than from the FN. */
  readonly stats = { countersCarried: 0, countersRead: 0, foreignDocuments: 0 };

  constructor(readonly driver: ShtrihDriver, private readonly log: Logger, readonly opts: FiscaliserOptions = DEFAULT_FISCALISER) {}

  /** One job at a time: a receipt's commands never interleave with another's. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Prints and fiscalises `receipt`. `saveCheckpoint` must store the checkpoint durably before
   * it returns (it runs right before the close command).
   */
  print(receipt: Receipt, saveCheckpoint: (c: Checkpoint) => void): Promise<FiscalData> {
    // The reconcile window is carved out of the receipt's bound, so the whole print stays within it.
    const printMs = Math.max(1000, this.opts.receiptTimeoutMs - this.opts.reconcileWaitMs);
    return this.serial(() => this.driver.within(printMs, () => this.printNow(receipt, saveCheckpoint)));
  }

  /** After a restart or an uncertain print: was the receipt of `checkpoint` fiscalised? */
  reconcile(checkpoint: Checkpoint): Promise<ReconcileResult> {
    return this.serial(() => this.driver.within(this.opts.receiptTimeoutMs, () => this.reconcileNow(checkpoint)));
  }

  /** Runs a non-receipt job (reports, shift) in the same queue. */
  run<T>(fn: (d: ShtrihDriver) => Promise<T>): Promise<T> {
    return this.serial(() => this.driver.within(this.opts.receiptTimeoutMs * 3, () => fn(this.driver)));
  }

  /** Leaves the printer idle with a shift usable for a receipt, or throws why not. */
  async prepare(): Promise<void> {
    // No waiting for the previous receipt to finish printing: the printer buffers it, and a
    // command it cannot take yet is answered 50h, which the driver waits out.
    let s = await this.driver.shortStatus();
    if (s.submode === 3) {
      await this.driver.continuePrint();
      s = await this.driver.waitPrinted();
    }
    if (ShtrihDriver.coverOpen(s)) throw new PrinterError(0x6b, 0x10, 'cover');
    if (ShtrihDriver.paperOut(s)) throw new PrinterError(0x6b, 0x10);
    if (s.mode === 8) {
      // A receipt left open by an earlier failed attempt: it is not fiscal, so cancel it.
      this.log.warn({ docType: s.modeStatus }, 'cancelling a receipt left open');
      await this.driver.cancelReceipt();
      s = await this.driver.shortStatus();
    }
    if (s.mode === 3) throw new PrinterError(0x4e, 0x10);
    if (s.mode === 4) await this.driver.openShift();
  }

  /** The FN's counters for the next receipt: carried from the last close, or read from the FN. */
  private async fnCounters(): Promise<FnCounters> {
    const c = this.counters;
    if (c && this.carryCounters && c.epoch === this.driver.epoch) {
      this.stats.countersCarried++;
      return c;
    }
    this.counters = null;
    const fn = await this.driver.fnStatus();
    const shift = await this.driver.shiftParams();
    this.stats.countersRead++;
    return { epoch: this.driver.epoch, fnNumber: fn.fnNumber, lastFd: fn.lastFd, shift: shift.shift, receiptsInShift: shift.receipt, dateTime: fn.dateTime };
  }

  private async printNow(receipt: Receipt, saveCheckpoint: (c: Checkpoint) => void): Promise<FiscalData> {
    const operation = receipt.type === 'refund' ? OP_TYPE.refund : OP_TYPE.sale;
    let checkpoint: Checkpoint;
    let saving: Promise<Error | null> = Promise.resolve(null);
    let fn: FnCounters;
    try {
      await this.prepare();
      // Read before the close: after it, a dropped line must not turn a success into a failure.
      fn = await this.fnCounters();
      const cp: Checkpoint = { lastFd: fn.lastFd, operation, total: receipt.total, at: new Date().toISOString() };
      checkpoint = cp;
      if (receipt.items.length === 0) saving = afterPendingWrites(() => saveCheckpoint(cp));
      for (const [i, it] of receipt.items.entries()) {
        const item = this.driver.operationV2({
          opType: operation, qtyMicro: it.qty * 1000, price: it.price, sum: it.sum, taxSum: null,
          taxBits: VAT_BITS[it.vat], department: 1, paymentMethod: PAYMENT_METHODS[it.payment_method],
          paymentObject: PAYMENT_OBJECTS[it.payment_object], name: it.name,
        });
        // The checkpoint's fsync (a synchronous write that blocks this thread; 2-20 ms on an SD
        // card) runs once the first item's frame is on its way, so it overlaps the device's work
        // instead of adding to the sale. The close still waits for it.
        if (i === 0) saving = afterPendingWrites(() => saveCheckpoint(cp));
        await item;
      }
      const failed = await saving;
      if (failed) throw failed;
    } catch (err) {
      // Nothing before the close fiscalises: leave the printer clean if we can and report a
      // definite "not fiscalised" error whatever went wrong on the line.
      this.counters = null;
      await saving;
      await this.cancelQuietly();
      if (err instanceof UncertainOutcomeError) throw new PrinterUnavailableError(`the receipt was not fiscalised: ${err.message}`);
      throw err;
    }
    const cash = receipt.payments.filter((p) => p.method === 'cash').reduce((s, p) => s + p.amount, 0);
    const card = receipt.payments.filter((p) => p.method === 'card').reduce((s, p) => s + p.amount, 0);
    this.counters = null;
    let closed: Awaited<ReturnType<ShtrihDriver['closeReceiptV2']>>;
    try {
      closed = await this.driver.closeReceiptV2({
        cash, other: [card], rounding: 0, taxes: [null, null, null, null, null, null], taxSystemBit: this.opts.taxSystemBit, text: '',
      });
    } catch (err) {
      // "No receipt is open" (55h, 73h) answering our close means something closed the receipt
      // we had just filled: our own close, run once already and its reply lost on the way (a
      // second send only meets the closed receipt). That is an unknown outcome, not a refusal.
      if (err instanceof PrinterError && !RECEIPT_GONE.has(err.code)) {
        await this.cancelQuietly();
        throw err;
      }
      // Anything else after the close was handed to the line may hide a fiscalised receipt.
      const e = err as Error;
      this.log.warn({ err: e.message, checkpoint }, 'receipt close outcome unknown: asking the FN');
      const out = await this.reconcileWithin(checkpoint, this.opts.reconcileWaitMs);
      if (out === null) throw new FiscalUncertainError(`could not learn whether the receipt was fiscalised: ${e.message}`, checkpoint);
      if (out.fiscalised) return out.data;
      throw err instanceof PrintTimeoutError ? err : new PrinterUnavailableError(`the receipt was not fiscalised: ${e.message}`);
    }
    // Fiscalised. Nothing after this point may fail the sale: the close made the document.
    // Firmware whose close reply has no date: the document itself has it.
    const dateTime = closed.dateTime ?? (await this.driver.findFd(closed.fd).then((f) => f.dateTime, () => undefined)) ?? fn.dateTime;
    let fnNumber = fn.fnNumber;
    if (closed.fd === fn.lastFd + 1) {
      this.counters = { epoch: this.driver.epoch, fnNumber: fn.fnNumber, lastFd: closed.fd, shift: fn.shift, receiptsInShift: fn.receiptsInShift + 1, dateTime };
    } else {
      // The FN made documents between the counters and this close that the box did not ask for.
      this.stats.foreignDocuments++;
      this.carryCounters = false;
      this.log.error({ expectedFd: fn.lastFd + 1, fd: closed.fd },
        'the fiscal drive made documents this box did not ask for: something else prints on this printer; FN counters are read before every receipt from now on');
      // The shift and receipt numbers, even the FN (a swapped one starts again at 1), may have
      // moved too: the FN and the document itself have the true ones.
      fnNumber = (await this.driver.fnStatus().catch(() => null))?.fnNumber ?? fnNumber;
      const told = await this.describe(closed.fd, closed.fp, fnNumber, operation, receipt.total, dateTime).catch(() => null);
      if (told) return told;
    }
    const base = {
      fd: closed.fd, fp: closed.fp, fnNumber, shift: fn.shift, receiptInShift: fn.receiptsInShift + 1,
      dateTime: dateTime.toISOString().slice(0, 19), operation, total: receipt.total,
    };
    return { ...base, qr: qrString(base) };
  }

  private async cancelQuietly(): Promise<void> {
    try {
      const s = await this.driver.shortStatus();
      if (s.mode === 8) await this.driver.cancelReceipt();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not cancel the open receipt; the next print cancels it');
    }
  }

  /** Keeps asking for up to `ms` (ignoring the job deadline, which may have run out). */
  private async reconcileWithin(c: Checkpoint, ms: number): Promise<ReconcileResult | null> {
    const until = Date.now() + ms;
    for (;;) {
      try {
        return await this.driver.within(Math.max(500, until - Date.now()), () => this.reconcileNow(c));
      } catch {
        // Whatever stops us from asking (silence, an error reply) leaves the outcome unknown.
        if (Date.now() >= until) return null;
        await sleep(100);
      }
    }
  }

  /**
   * Normally only the document right after the checkpoint can be ours: the checkpoint is the
   * FN's last document when the close was sent, and every printer job goes through this one
   * queue. So a checkpoint must be reconciled before any other receipt is printed (the box's
   * PrinterFiscaliser does that); otherwise a later sale of the same amount could be taken for
   * ours. The next few documents are looked at too, so a receipt is still found if something
   * outside the box made a document the checkpoint did not count.
   */
  private async reconcileNow(c: Checkpoint): Promise<ReconcileResult> {
    this.counters = null;
    const fn = await this.driver.fnStatus();
    for (let fd = c.lastFd + 1; fd <= Math.min(fn.lastFd, c.lastFd + RECONCILE_SCAN); fd++) {
      const found = await this.driver.findFd(fd);
      if (found.docType === 3 && found.operation === c.operation && found.amount === c.total && found.fp !== undefined) {
        const dt = found.dateTime ?? fn.dateTime;
        return { fiscalised: true, data: await this.describe(fd, found.fp, fn.fnNumber, c.operation, c.total, dt) };
      }
    }
    // Not in the FN: whatever is still open on the printer is not fiscal and goes away.
    await this.cancelQuietly();
    return { fiscalised: false };
  }

  /** A document found in the FN: shift and receipt numbers come from the document itself. */
  private async describe(fd: number, fp: number, fnNumber: string, operation: number, total: number, when: Date): Promise<FiscalData> {
    const doc = await this.driver.readDocument(fd);
    const num = (tag: number) => (typeof doc.json[String(tag)] === 'number' ? (doc.json[String(tag)] as number) : 0);
    const base = { fd, fp, fnNumber, shift: num(1038), receiptInShift: num(1042), dateTime: when.toISOString().slice(0, 19), operation, total };
    return { ...base, qr: qrString(base) };
  }
}
