// The ERP's view of a fiscal document the hub ingested: the contract's receipt message cut
// down to the links (lab order, original receipt), the sums per tender and the fiscal data.
import type { ReceiptMessage } from '../../shared/mqtt/messages.js';
import type { FiscalProjection } from '../erp/fiscal/fiscal-documents.js';

/**
 * The FN's date-time as printed: the wall-clock part of the box's ISO stamp, in the offset
 * the box wrote it with (the box stamps in the store's local time).
 */
export function printedDateTime(iso: string): string {
  return iso.slice(0, 19);
}

export function toErpProjection(m: ReceiptMessage): FiscalProjection {
  const sum = (method: 'cash' | 'card') => m.payments.filter((p) => p.method === method).reduce((s, p) => s + p.amount, 0);
  const card = sum('card');
  // Cash tendered may exceed the total (change was given); the ERP books what was kept.
  const cash = Math.min(sum('cash'), Math.max(0, m.total - card));
  return {
    receipt_id: m.receipt_id,
    store_id: m.store_id,
    box_id: m.box_id,
    type: m.type,
    order_id: m.order_id ?? null,
    original_receipt_id: m.original_receipt_id ?? null,
    total: m.total,
    payments: { cash, card },
    fiscal: {
      fn_number: m.fiscal.fn_number,
      fd_number: m.fiscal.fd_number,
      fiscal_sign: m.fiscal.fiscal_sign,
      shift_number: m.fiscal.shift,
      datetime: printedDateTime(m.fiscal.datetime),
    },
  };
}
