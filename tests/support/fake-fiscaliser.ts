// A fiscaliser that "prints" instantly with plausible fiscal data (FD counter, fiscal sign),
// for uplink tests that need printed documents without the printer emulator.
import type { Fiscaliser, FiscalResult } from '../../firmware/fiscal/fiscaliser.js';
import type { StoredReceipt } from '../../firmware/buffer/receipt-buffer.js';

export function fakeFiscaliser(fn = '9999078900012345'): Fiscaliser & { count(): number } {
  let fd = 0;
  return {
    count: () => fd,
    async fiscalise(r: StoredReceipt): Promise<FiscalResult> {
      fd++;
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
