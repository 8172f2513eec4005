// The FN makes fiscal documents no POS asked for: the shift opening report (the printer opens
// the shift itself before the first sale of the day, or on POST /v1/kkt/shift/open) and the
// closing report of a Z-report. They carry no sale, but the OFD must ticket them like receipts:
// the FN counts every document without a ticket and blocks after 30 days of one. The sweep asks
// the FN which documents still lack a ticket and records the shift reports the buffer does not
// hold, so the uplink sends them like receipts. Asking the FN (not hooking each operation)
// also finds the report of a shift opened just before a crash.
import type { Logger } from '../../shared/logger.js';
import type { FnReportType } from '../../shared/receipt.js';
import type { ReceiptBuffer } from '../buffer/receipt-buffer.js';
import type { PrinterService } from '../printer/service.js';

/** FFD form codes of the shift reports (as the FN's "find document" names them). */
const REPORT_KIND: Record<number, FnReportType> = { 2: 'shift_open', 5: 'shift_close' };

export interface FnReportSweepOptions {
  /** How often the FN is asked besides after each shift operation. */
  periodMs: number;
  /** Most documents looked up per sweep: each holds the printer line for one short command. */
  maxLookups?: number;
}

export class FnReportSweep {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;
  #again: Promise<number> | null = null;
  #lastError = '';
  /**
   * FDs already looked up and found not to be shift reports (receipts another program printed,
   * receipts of a set-aside database, corrections...), per FN: not asked again, so a pass moves
   * on past them instead of spending its lookups on the same ones every time.
   */
  #notReports = { fn: '', fds: new Set<number>() };

  constructor(private readonly printer: PrinterService, private readonly buffer: ReceiptBuffer, private readonly log: Logger,
    private readonly opts: FnReportSweepOptions) {}

  start(): void {
    void this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.opts.periodMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * One pass; returns how many reports were recorded. A call while a pass runs gets one more
   * pass after it (that pass may have read the FN before the document the caller just made).
   */
  sweep(): Promise<number> {
    if (this.#running) {
      this.#again ??= this.#running.then(() => { this.#again = null; return this.sweep(); });
      return this.#again;
    }
    this.#running = this.#sweep().finally(() => { this.#running = null; });
    return this.#running;
  }

  async #sweep(): Promise<number> {
    if (this.printer.state !== 'connected') return 0;
    try {
      const { queued, firstFd, fnNumber, lastFd } = await this.printer.fiscaliser.run(async (d) => {
        const ex = await d.exchangeStatus();
        const st = await d.fnStatus();
        return { queued: ex.queued, firstFd: ex.firstFd, fnNumber: st.fnNumber, lastFd: st.lastFd };
      });
      if (queued === 0 || firstFd < 1) return 0;
      if (this.#notReports.fn !== fnNumber) this.#notReports = { fn: fnNumber, fds: new Set() };
      const skip = this.#notReports.fds;
      for (const fd of skip) if (fd < firstFd) skip.delete(fd); // ticketed since: forget
      const known = this.buffer.knownFds(fnNumber, firstFd, lastFd);
      let recorded = 0;
      let lookups = 0;
      for (let fd = firstFd; fd <= lastFd && lookups < (this.opts.maxLookups ?? 50); fd++) {
        if (known.has(fd) || skip.has(fd)) continue;
        lookups++;
        // One command per run: a sale waiting for the printer gets in between lookups.
        const found = await this.printer.fiscaliser.run((d) => d.findFd(fd));
        const kind = REPORT_KIND[found.docType];
        if (!kind || found.ticketReceived || found.fp === undefined) {
          skip.add(fd);
          continue;
        }
        const added = this.buffer.recordFnReport({
          kind, fnNumber, fd, fiscalSign: String(found.fp), shift: found.shift ?? 1, at: (found.dateTime ?? new Date()).toISOString(),
        });
        if (added) {
          recorded++;
          this.log.info({ fd, kind, fn: fnNumber }, 'shift report recorded from the FN for the OFD');
        }
      }
      this.#lastError = '';
      return recorded;
    } catch (err) {
      // Once per distinct failure: a disconnected printer would otherwise log every period.
      const message = (err as Error).message;
      if (message !== this.#lastError) this.log.warn({ err }, 'FN sweep for shift reports failed; tried again later');
      this.#lastError = message;
      return 0;
    }
  }
}
