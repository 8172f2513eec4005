// How a stored receipt looks on the LAN API: snake_case, money back in rubles.
import { kopecksToRubles, milliToQuantity } from '../../shared/money.js';
import type { StoredReceipt } from '../buffer/receipt-buffer.js';

/** What every answer about a receipt starts with. */
function head(r: StoredReceipt) {
  return { receipt_id: r.id, status: r.status, hlc: r.hlc, pos_id: r.posId, type: r.type };
}

/** The body of a 201 (and of its idempotent replays). */
export function acceptedBody(r: StoredReceipt, extra: { message?: string; fiscal?: unknown; error?: string } = {}) {
  return {
    ...head(r),
    total: kopecksToRubles(r.receipt.total),
    change: kopecksToRubles(r.receipt.change),
    created_at: r.createdAt,
    fiscal: extra.fiscal ?? null,
    ...(extra.message ? { message: extra.message } : {}),
    ...(extra.error ? { error: extra.error } : {}),
  };
}

/** GET /v1/kkt/receipt/:id: current status and data. */
export function receiptView(r: StoredReceipt) {
  const rc = r.receipt;
  return {
    ...head(r),
    items: rc.items.map((it) => ({
      name: it.name, qty: milliToQuantity(it.qty), price: kopecksToRubles(it.price), sum: kopecksToRubles(it.sum),
      vat: it.vat, payment_method: it.payment_method, payment_object: it.payment_object,
      ...(it.product_id ? { product_id: it.product_id } : {}),
    })),
    payments: rc.payments.map((p) => ({ method: p.method, amount: kopecksToRubles(p.amount) })),
    total: kopecksToRubles(rc.total),
    change: kopecksToRubles(rc.change),
    ...(rc.original_receipt_id ? { original_receipt_id: rc.original_receipt_id } : {}),
    ...(rc.order_id ? { order_id: rc.order_id } : {}),
    ...(rc.customer ? { customer: rc.customer } : {}),
    fiscal: r.fiscalData,
    retry_count: r.retryCount,
    last_error: r.lastError,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    printed_at: r.printedAt,
    delivered_at: r.deliveredAt,
    synced_at: r.syncedAt,
    server_time: r.serverTime,
    ...(r.status === 'cancelled' ? { cancelled_at: r.cancelledAt, cancel_reason: r.cancelReason } : {}),
  };
}
