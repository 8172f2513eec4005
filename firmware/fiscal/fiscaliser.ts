// The seam between accepting a sale and printing it. The printer driver implements
// Fiscaliser; the composition root (firmware/box.ts) chooses which one the box uses.
import type { StoredReceipt } from '../buffer/receipt-buffer.js';

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
  | { status: 'print_failed'; error: string };

export interface Fiscaliser {
  fiscalise(receipt: StoredReceipt): Promise<FiscalResult>;
}

/** The default while no printer is attached: keeps every receipt buffered. */
export class NoPrinterFiscaliser implements Fiscaliser {
  async fiscalise(): Promise<FiscalResult> {
    return { status: 'buffered', reason: 'no fiscal printer attached' };
  }
}
