// A fiscaliser that "prints" instantly with plausible fiscal data (FD counter, fiscal sign),
// for uplink tests that need printed documents without the printer emulator.
import type { Fiscaliser, FiscalResult } from '../../firmware/fiscal/fiscaliser.js';
import type { StoredReceipt } from '../../firmware/buffer/receipt-buffer.js';
import { syntheticFnBridge } from '../../firmware/uplink/fn-bridge.js';

export function fakeFiscaliser(fn = '9999078900012345'): Fiscaliser & { count(): number; receiptOf: Map<number, string> } {
  let fd = 0;
  const receiptOf = new Map<number, string>();
  return {
    count: () => fd,
    receiptOf,
    async fiscalise(r: StoredReceipt): Promise<FiscalResult> {
      fd++;
      receiptOf.set(fd, r.id);
      return {
        status: 'printed',
        fiscal: {
          fiscal_document_number: fd, fiscal_sign: String(1_000_000 + fd * 7919), fn_serial: fn, shift_number: 1,
          receipt_number: fd, printed_at: new Date().toISOString(), total: r.total,
        },
      };
    },
  };
}

/** An FN view whose count of documents without a ticket is printed minus tickets handed back. */
export function countingFnBridge(f: { count(): number }) {
  const base = syntheticFnBridge();
  return { ...base, tickets: base.tickets, async unconfirmed() { return f.count() - base.tickets.length; } };
}
