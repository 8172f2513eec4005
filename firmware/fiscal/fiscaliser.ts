// The seam between accepting a sale and printing it. The printer driver implements
// Fiscaliser; the composition root (firmware/box.ts) chooses which one the box uses.
import type { StoredReceipt } from '../buffer/receipt-buffer.js';
import type { Problem } from '../../shared/http/problem.js';

/** What the printer returns for a fiscalised document (tags from the fiscal storage). */
export interface FiscalData {
  fiscal_document_number: number;
  fiscal_sign: string;
  fn_serial: string;
  shift_number?: number;
  printed_at: string;
  [extra: string]: unknown;
}

export type FiscalResult =
  /** Not printed (yet): the receipt stays buffered and the POS is told so. */
  | { status: 'buffered'; reason: string }
  | { status: 'printed'; fiscal: FiscalData }
  /**
   * Not fiscalised: the receipt stays in the buffer (never uploaded) and a retry with the same
   * Idempotency-Key prints it. `problem` is what the POS is told (cause + cashier action).
   */
  | { status: 'print_failed'; error: string; problem?: Problem };

/** Before a sale is cancelled: does the FN hold it after all? `unknown`: cannot be asked now. */
export type FiscalVerdict = 'fiscalised' | 'not_fiscalised' | 'unknown';

export interface Fiscaliser {
  fiscalise(receipt: StoredReceipt): Promise<FiscalResult>;
  /**
   * Settles whatever the box does not know about `receipt` (a close whose answer was lost)
   * with the FN, marking it printed if the FN made it. Absent: nothing can have fiscalised a
   * receipt that is not printed (no printer).
   */
  settleBeforeCancel?(receipt: StoredReceipt): Promise<FiscalVerdict>;
  /**
   * True for a real printer: a receipt still "buffered" (caught mid-print) is printed when the
   * POS retries its key. Without a printer a retry just replays the "buffered" answer.
   */
  readonly printsBufferedOnRetry?: boolean;
  /**
   * True when fiscalise() always commits this receipt again with a full fsync before the POS
   * is answered (the printer: the FN checkpoint before the close, then "printed" or
   * "print_failed"). The receipt's insert may then skip its own fsync: nothing is
   * acknowledged before the later commit, and that commit's fsync flushes the insert too.
   */
  readonly syncsBeforeAnswer?: boolean;
  /**
   * True when a "printed" outcome can be rebuilt after a power cut without the box's own
   * record of it: a checkpoint committed with a full fsync before the close lets the restarted
   * box ask the FN, which keeps every fiscal document (the printer). The "printed" commit then
   * skips its fsync on the way to the answer and is flushed just after it: on an SD card that
   * fsync is 2-20 ms of every sale.
   */
  readonly printedSurvivesPowerCut?: boolean;
}

/**
 * The default while no printer is attached: keeps every receipt buffered. A box whose printer
 * was switched off (sent for repair) may still hold a receipt whose close reached the FN with
 * its answer lost: `hasOpenCheckpoint` says so, and such a receipt cannot be cancelled until
 * a printer can be asked.
 */
export class NoPrinterFiscaliser implements Fiscaliser {
  constructor(private readonly hasOpenCheckpoint: (receiptId: string) => boolean = () => false) {}

  async fiscalise(): Promise<FiscalResult> {
    return { status: 'buffered', reason: 'no fiscal printer attached' };
  }

  async settleBeforeCancel(receipt: StoredReceipt): Promise<FiscalVerdict> {
    return this.hasOpenCheckpoint(receipt.id) ? 'unknown' : 'not_fiscalised';
  }
}
