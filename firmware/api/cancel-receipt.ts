// POST /v1/kkt/receipt/{id}/cancel: the POS abandons a sale that was stored but never
// fiscalised (paper ran out and the customer left, the cashier rang it up again under a new
// key). Without this, such a receipt stays print_failed for ever: counted as queued, holding
// the buffer's oldest-pending age (and the hub's alert on it) at the day it failed.
// A fiscal document cannot be cancelled, only refunded; so the FN is asked first whenever the
// box cannot rule out that the receipt's close went through.
import { Problem } from '../../shared/http/problem.js';
import type { Logger } from '../../shared/logger.js';
import type { ReceiptBuffer, StoredReceipt } from '../buffer/receipt-buffer.js';
import { FISCALISED_STATUSES } from '../buffer/statuses.js';
import type { Fiscaliser } from '../fiscal/fiscaliser.js';
import type { InFlightKeys } from './idempotency.js';

export interface CancelDeps {
  buffer: ReceiptBuffer;
  fiscaliser: Fiscaliser;
  inFlight: InFlightKeys;
  log: Logger;
}

export const DEFAULT_CANCEL_REASON = 'cancelled by the POS';

/** The 404 of every route that names a receipt by id. */
export function receiptNotFound(id: string): Problem {
  return new Problem(404, 'receipt-not-found', 'Receipt not found', `no receipt with id ${id} on this box`);
}

export async function cancelReceipt(deps: CancelDeps, id: string, reason: string): Promise<StoredReceipt> {
  const first = deps.buffer.get(id);
  if (!first) throw receiptNotFound(id);
  if (first.status === 'cancelled') return first;
  // The sale's own key: while it is claimed, no retry of the sale can start printing it.
  let release: () => void;
  try {
    release = deps.inFlight.claim(first.idempotencyKey);
  } catch {
    throw new Problem(409, 'receipt-in-progress', 'Receipt is being processed',
      `another request for receipt ${id} (its sale being printed, or another cancel) is running; ask again when it has answered`, {}, { 'Retry-After': '1' });
  }
  try {
    const r = deps.buffer.get(id) ?? first;
    if (r.status === 'cancelled') return r;
    if (FISCALISED_STATUSES.includes(r.status)) throw fiscalisedProblem(r);
    if (r.status === 'dead') {
      throw new Problem(409, 'receipt-not-cancellable', 'Receipt cannot be cancelled', `receipt ${id} is in the dead-letter queue: an operator handles it`, { receipt_status: r.status });
    }
    const verdict = deps.fiscaliser.settleBeforeCancel ? await deps.fiscaliser.settleBeforeCancel(r) : 'not_fiscalised';
    if (verdict === 'unknown') {
      throw new Problem(503, 'fiscal-state-unknown', 'Cannot tell yet whether the receipt was fiscalised',
        `the last attempt to print receipt ${id} may have been closed by the fiscal drive, and the printer cannot be asked now (not answering, or not configured); nothing was changed. Retry the cancel once the printer answers (GET /health shows it)`,
        { receipt_status: r.status, cashier_message: 'Проверьте принтер: нельзя отменить чек, пока не известно, пробит ли он.' }, { 'Retry-After': '30' });
    }
    if (verdict === 'fiscalised') throw fiscalisedProblem(deps.buffer.get(id) ?? r);
    const cancelled = deps.buffer.markCancelled(id, reason);
    deps.log.info({ receipt_id: id, pos_id: r.posId, previous_status: r.status, reason }, 'receipt cancelled before fiscalisation');
    return cancelled;
  } finally {
    release();
  }
}

function fiscalisedProblem(r: StoredReceipt): Problem {
  // Shift reports the FN made (type shift_open/shift_close) sit in the buffer too: no refund for those.
  const action = r.type === 'sale' || r.type === 'refund'
    ? `To take the sale back, post a refund with original_receipt_id ${r.id}` : 'A shift report stays as it is';
  return new Problem(409, 'receipt-fiscalised', 'Receipt is fiscalised',
    `receipt ${r.id} is a fiscal document (status ${r.status}) and goes to the OFD; it cannot be cancelled. ${action}`,
    { receipt_id: r.id, receipt_status: r.status, fiscal: r.fiscalData });
}
