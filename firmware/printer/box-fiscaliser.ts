// The printer behind the box's Fiscaliser seam. Before a receipt's close is sent, its
// checkpoint (the FN's last document number) is written to the box database (own component
// table). A checkpoint stays "open" until the buffer shows the receipt printed or the FN has
// been asked; every open checkpoint is settled before the next receipt is printed, because
// only the document right after a checkpoint can belong to it. Open checkpoints are also
// settled at start-up and whenever the printer reconnects, so a fiscalised receipt always
// ends up "printed" (and uploaded) even if the POS never retries.
import { migrate, stmt, type Db, type Migration } from '../../shared/db.js';
import type { Logger } from '../../shared/logger.js';
import type { ReceiptBuffer, StoredReceipt } from '../buffer/receipt-buffer.js';
import { acceptedBody } from '../api/receipt-view.js';
import type { FiscalData as SeamFiscalData, FiscalResult, Fiscaliser, FiscalVerdict } from '../fiscal/fiscaliser.js';
import { FiscalUncertainError, type Checkpoint, type FiscalData } from './fiscaliser.js';
import { printerProblem } from './problem.js';
import type { PrinterService } from './service.js';
import { PrinterUnavailableError } from './errors.js';
import type { PrintObserver } from './metrics.js';

const MIGRATIONS: readonly Migration[] = [{
  version: 1,
  name: 'print checkpoints',
  up: `CREATE TABLE print_checkpoints (
    receipt_id TEXT PRIMARY KEY,
    last_fd INTEGER NOT NULL,
    operation INTEGER NOT NULL,
    total_kopecks INTEGER NOT NULL,
    at TEXT NOT NULL,
    settled INTEGER NOT NULL DEFAULT 0
  );`,
}];

interface CheckpointRow { receipt_id: string; last_fd: number; operation: number; total_kopecks: number; at: string; settled: number }

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({ lastFd: r.last_fd, operation: r.operation, total: r.total_kopecks, at: r.at });

export class CheckpointStore {
  private readonly stmt;

  constructor(db: Db) {
    migrate(db, 'box-printer', MIGRATIONS);
    this.stmt = {
      put: db.prepare(`INSERT INTO print_checkpoints (receipt_id, last_fd, operation, total_kopecks, at, settled) VALUES (?, ?, ?, ?, ?, 0)
        ON CONFLICT(receipt_id) DO UPDATE SET last_fd = excluded.last_fd, operation = excluded.operation,
        total_kopecks = excluded.total_kopecks, at = excluded.at, settled = 0`),
      get: db.prepare('SELECT * FROM print_checkpoints WHERE receipt_id = ?'),
      // Receipts already printed need no FN query and no write: their checkpoint is simply done.
      open: db.prepare(`SELECT c.* FROM print_checkpoints c JOIN receipts r ON r.id = c.receipt_id
        WHERE c.settled = 0 AND r.status IN ('buffered', 'print_failed') ORDER BY c.last_fd, c.at`),
      settle: db.prepare('UPDATE print_checkpoints SET settled = 1 WHERE receipt_id = ?'),
    };
  }

  /** Durable on return (the buffer database runs synchronous=FULL). */
  save(receiptId: string, c: Checkpoint): void {
    this.stmt.put.run(receiptId, c.lastFd, c.operation, c.total, c.at);
  }

  get(receiptId: string): (Checkpoint & { settled: boolean }) | null {
    const r = this.stmt.get.get(receiptId) as CheckpointRow | undefined;
    return r ? { ...toCheckpoint(r), settled: r.settled === 1 } : null;
  }

  open(): { receiptId: string; checkpoint: Checkpoint }[] {
    return (this.stmt.open.all() as CheckpointRow[]).map((r) => ({ receiptId: r.receipt_id, checkpoint: toCheckpoint(r) }));
  }

  settle(receiptId: string): void {
    this.stmt.settle.run(receiptId);
  }
}

/**
 * Whether `receiptId` has a checkpoint the FN was never asked about. Works without a printer
 * configured: the table exists once a printer ever was, and a box without one must not cancel
 * a receipt its printer may have fiscalised before it was switched off.
 */
export function hasOpenCheckpoint(db: Db, receiptId: string): boolean {
  const table = stmt(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'print_checkpoints'").get();
  if (!table) return false;
  return stmt(db, 'SELECT 1 FROM print_checkpoints WHERE receipt_id = ? AND settled = 0').get(receiptId) !== undefined;
}

/** The seam's fiscal data: the documented keys plus everything the POS prints or shows. */
export function toSeamFiscal(d: FiscalData): SeamFiscalData {
  return {
    fiscal_document_number: d.fd, fiscal_sign: String(d.fp), fn_serial: d.fnNumber, shift_number: d.shift,
    receipt_number: d.receiptInShift, printed_at: d.dateTime, qr: d.qr,
  };
}

const NOT_PRINTED = new Set(['buffered', 'print_failed']);

export class PrinterFiscaliser implements Fiscaliser {
  readonly checkpoints: CheckpointStore;
  /** A retry of a receipt still "buffered" prints it (it was caught mid-print). */
  readonly printsBufferedOnRetry = true;
  /** The checkpoint (before the close) and print_failed are written with a full fsync. */
  readonly syncsBeforeAnswer = true;
  /** The checkpoint is settled with the FN on restart (reconcileOnStart). */
  readonly printedSurvivesPowerCut = true;
  private settling: Promise<unknown> = Promise.resolve();
  /** Receipts this process is printing right now: their own flow settles them. */
  private readonly inFlight = new Set<string>();

  /** Told of every attempt's outcome (metrics). */
  observe: PrintObserver = () => undefined;

  constructor(private readonly printer: PrinterService, private readonly buffer: ReceiptBuffer, private readonly log: Logger) {
    this.checkpoints = new CheckpointStore(buffer.db);
    printer.connection.on('state', (s) => {
      if (s === 'connected') void this.settleOpen().catch((err: Error) => this.log.warn({ err: err.message }, 'settling after reconnect failed'));
    });
  }

  async fiscalise(r: StoredReceipt): Promise<FiscalResult> {
    const t0 = performance.now();
    const res = await this.attempt(r);
    const kind = res.status === 'print_failed' ? String((res.problem?.body.printer_error as { kind?: string } | undefined)?.kind ?? 'other') : 'none';
    this.observe(res.status === 'printed' ? 'printed' : kind === 'uncertain' ? 'uncertain' : 'failed', (performance.now() - t0) / 1000, kind);
    return res;
  }

  private async attempt(r: StoredReceipt): Promise<FiscalResult> {
    try {
      try {
        if (this.printer.state !== 'connected') throw new PrinterUnavailableError(`printer ${this.printer.cfg.path} is ${this.printer.state}`);
        await this.settleOpen();
      } catch (err) {
        // This receipt's own earlier close may still be unsettled: then its fate is unknown.
        const own = this.checkpoints.get(r.id);
        if (own && !own.settled && this.buffer.get(r.id)?.status !== 'printed') {
          throw new FiscalUncertainError(`the fiscal drive cannot be asked yet: ${(err as Error).message}`, own);
        }
        throw err;
      }
      const now = this.buffer.get(r.id);
      if (now?.status === 'printed') return { status: 'printed', fiscal: now.fiscalData as SeamFiscalData };
      this.inFlight.add(r.id);
      let saved = false;
      const data = await this.printer.print(r.receipt, (c) => {
        this.checkpoints.save(r.id, c);
        saved = true;
      }).catch((err: unknown) => {
        // Every error but "unknown" means the FN made no document: nothing left to settle.
        if (saved && !(err instanceof FiscalUncertainError)) this.checkpoints.settle(r.id);
        throw err;
      }).finally(() => this.inFlight.delete(r.id));
      this.log.info({ receipt_id: r.id, fd: data.fd }, 'receipt fiscalised');
      return { status: 'printed', fiscal: toSeamFiscal(data) };
    } catch (err) {
      const problem = printerProblem(err);
      if (!problem) throw err;
      const e = err as Error;
      return { status: 'print_failed', error: err instanceof FiscalUncertainError ? `outcome unknown: ${e.message}` : e.message, problem };
    }
  }

  /**
   * A receipt with an open checkpoint may have been closed by the FN (its answer lost): the FN
   * is asked first, and a receipt it holds becomes printed (and goes to the OFD) instead of
   * being cancelled. Without an open checkpoint the close was never sent or already settled.
   */
  async settleBeforeCancel(r: StoredReceipt): Promise<FiscalVerdict> {
    const own = this.checkpoints.get(r.id);
    if (own && !own.settled) {
      try {
        if (this.printer.state !== 'connected') throw new PrinterUnavailableError(`printer ${this.printer.cfg.path} is ${this.printer.state}`);
        await this.settleOpen();
      } catch (err) {
        this.log.warn({ receipt_id: r.id, err: (err as Error).message }, 'cannot cancel yet: the fiscal drive cannot be asked');
        return 'unknown';
      }
      if (this.checkpoints.get(r.id)?.settled !== true) return 'unknown';
    }
    return this.buffer.get(r.id)?.status === 'printed' ? 'fiscalised' : 'not_fiscalised';
  }

  /**
   * Settles every open checkpoint with the FN, oldest first. One pass at a time; throws if the
   * printer cannot answer (the checkpoints stay open for the next pass).
   */
  settleOpen(): Promise<void> {
    const run = this.settling.then(() => this.settleNow());
    this.settling = run.catch(() => undefined);
    return run;
  }

  private async settleNow(): Promise<void> {
    for (const { receiptId, checkpoint } of this.checkpoints.open()) {
      if (this.inFlight.has(receiptId)) continue;
      const r = this.buffer.get(receiptId);
      if (!r || !NOT_PRINTED.has(r.status)) continue;
      const res = await this.printer.reconcile(checkpoint);
      this.buffer.db.transaction(() => {
        if (res.fiscalised) {
          const fiscal = toSeamFiscal(res.data);
          this.buffer.saveResponse(receiptId, { status: 201, body: acceptedBody(this.buffer.markPrinted(receiptId, fiscal), { fiscal }) });
          this.log.warn({ receipt_id: receiptId, fd: res.data.fd }, 'receipt caught mid-print was fiscalised: now marked printed');
        } else if (r.status === 'buffered') {
          this.buffer.markPrintFailed(receiptId, 'not printed: the fiscal drive never closed this receipt');
        }
        this.checkpoints.settle(receiptId);
      })();
    }
  }

  /**
   * At start-up, before the API listens: open checkpoints are settled with the FN; receipts
   * still "buffered" without a checkpoint never reached the close, so they become print_failed
   * (a POS retry with the same key prints them).
   */
  async reconcileOnStart(): Promise<{ printed: number; failed: number }> {
    // A printer that is plugged in but does not answer must not keep the box down (no API, no
    // uplink for the documents it holds): open checkpoints stay open, and are settled on the
    // next reconnect, before the next receipt, or before a cancel, none of which can proceed
    // without the FN's answer.
    await this.settleOpen().catch((err: Error) => this.log.warn({ err: err.message }, 'open checkpoints not settled at start-up: the printer does not answer'));
    // A receipt whose checkpoint is still open (the FN could not be asked) may have been
    // closed: saying "not printed" would have a cashier ring it up again.
    const rows = this.buffer.db.prepare(`SELECT r.id, c.settled = 0 AS open FROM receipts r LEFT JOIN print_checkpoints c ON c.receipt_id = r.id
      WHERE r.status = 'buffered' ORDER BY r.hlc`).all() as { id: string; open: number | null }[];
    for (const { id, open } of rows) {
      this.buffer.markPrintFailed(id, open === 1
        ? 'outcome unknown: the box restarted during the close and the fiscal drive could not be asked yet; it is asked before the next sale'
        : 'not printed: the box restarted before the receipt was closed');
    }
    const printed = (this.buffer.db.prepare(`SELECT COUNT(*) AS n FROM receipt_events WHERE event = 'printed'`).get() as { n: number }).n;
    if (rows.length) this.log.info({ failed: rows.length }, 'receipts caught before their close marked print_failed');
    return { printed, failed: rows.length };
  }
}
