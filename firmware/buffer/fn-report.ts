// The rows the box records from the FN itself: shift reports no POS asked for, stored beside
// the receipts so the uplink sends every fiscal document the same way (docs/uplink.md).
import type { FnReportType, Receipt } from '../../shared/receipt.js';

/** pos_id of the rows the box records from the FN itself (no POS asked for them). */
export const FN_POS_ID = 'fn';

/** The idempotency key of an FN row: it has spaces, which a POS key never has, so no sale can take it. */
export const fnReportKey = (doc: FnReport) => `fn ${doc.fnNumber} ${doc.fd}`;

/** A shift report as the FN describes it (firmware/uplink/fn-report-sweep.ts finds them). */
export interface FnReport {
  kind: FnReportType;
  fnNumber: string;
  fd: number;
  fiscalSign: string;
  shift: number;
  /** When the FN made it (ISO). */
  at: string;
}

/** A report's row: an empty receipt of its kind and the fiscal data the outbox sends. */
export function fnReportRow(doc: FnReport): { receipt: Receipt; fiscal: Record<string, unknown> } {
  return {
    receipt: { pos_id: FN_POS_ID, type: doc.kind, items: [], payments: [], total: 0, change: 0 },
    fiscal: { fiscal_document_number: doc.fd, fiscal_sign: doc.fiscalSign, fn_serial: doc.fnNumber, shift_number: doc.shift, printed_at: doc.at },
  };
}
