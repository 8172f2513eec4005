// The POST /v1/kkt/receipt use case: idempotency -> validate -> HLC stamp + durable insert
// (group commit) -> fiscalise -> the response, which is stored for replays.
import type { Logger } from '../../shared/logger.js';
import { Problem } from '../../shared/http/problem.js';
import { normaliseReceipt, type VatCode } from '../../shared/receipt.js';
import type { ReceiptBuffer, StoredReceipt, StoredResponse } from '../buffer/receipt-buffer.js';
import { BufferError } from '../buffer/receipt-buffer.js';
import type { Fiscaliser, FiscalResult } from '../fiscal/fiscaliser.js';
import { fingerprint, keyReusedProblem, type InFlightKeys } from './idempotency.js';
import { acceptedBody } from './receipt-view.js';

/** The answer while the receipt is stored but not (yet) printed. */
export const BUFFERED_MESSAGE = 'stored durably; not printed yet';

export interface AcceptDeps {
  buffer: ReceiptBuffer;
  fiscaliser: Fiscaliser;
  inFlight: InFlightKeys;
  defaultVat: VatCode;
  log: Logger;
}

export interface AcceptOutcome {
  response: StoredResponse;
  receiptId: string;
  replayed: boolean;
  /** Time spent in the fiscaliser (printer and fiscal drive) for this request, ms. */
  fiscalMs?: number;
}

export async function acceptReceipt(deps: AcceptDeps, key: string, body: unknown): Promise<AcceptOutcome> {
  const hash = fingerprint(body);
  // Claimed first: while the first request is still printing, its stored response is only
  // provisional, so a retry gets 409 rather than a half-finished answer.
  const release = deps.inFlight.claim(key);
  try {
    const prior = replay(deps.buffer, key, hash);
    if (prior) {
      // Not fiscalised yet (the printer failed, or the box restarted mid-print): the retry
      // prints it now. The fiscaliser asks the FN first if a close may have gone through.
      const existing = deps.buffer.get(prior.receiptId);
      if (existing && (existing.status === 'print_failed' || (existing.status === 'buffered' && deps.fiscaliser.printsBufferedOnRetry))) {
        return await fiscalisedOutcome(deps, existing);
      }
      return prior;
    }
    const n = normaliseReceipt(body, { defaultVat: deps.defaultVat });
    if (!n.ok) {
      throw new Problem(422, 'invalid-receipt', 'Invalid receipt', `${n.errors.length} field(s) are invalid: ${n.errors.map((e) => e.field).join(', ')}`, { errors: n.errors });
    }
    let stored: StoredReceipt;
    try {
      stored = await deps.buffer.insertBatched({
        idempotencyKey: key, requestHash: hash, receipt: n.receipt,
        response: (r) => ({ status: 201, body: acceptedBody(r, { message: BUFFERED_MESSAGE }) }),
        // The printer commits the receipt again (checkpoint, printed, failed) with an fsync
        // before the POS hears anything: one fsync per sale fewer.
        deferSync: deps.fiscaliser.syncsBeforeAnswer === true,
      });
    } catch (err) {
      if (err instanceof BufferError && err.code === 'duplicate_key') {
        const r = replay(deps.buffer, key, hash);
        if (r) return r;
      }
      if (err instanceof BufferError && err.code === 'full') throw bufferFullProblem(err.message);
      const code = (err as { code?: unknown }).code;
      if (code === 'SQLITE_FULL') {
        deps.log.error({ err, idempotency_key: key }, 'receipt NOT stored: storage full');
        throw new Problem(507, 'storage-full', 'Receipt not stored: storage full',
          'the box\'s storage is full (SQLITE_FULL); nothing was saved and nothing stored was touched. Action: call support to free space or replace the storage; retry with the same Idempotency-Key afterwards',
          { cashier_message: STORAGE_FULL_MESSAGE }, { 'Retry-After': '60' });
      }
      if (typeof code === 'string' && code.startsWith('SQLITE_')) {
        // Disk full, read-only or I/O error: say plainly that nothing was stored, so the POS
        // retries (same key) or falls back, and never believes the sale is safe.
        deps.log.error({ err, idempotency_key: key }, 'receipt NOT stored');
        throw new Problem(503, 'storage-unavailable', 'Receipt not stored',
          `the box could not store the receipt (${code}); nothing was saved, retry with the same Idempotency-Key`, {}, { 'Retry-After': '5' });
      }
      throw err;
    }
    deps.log.info({ receipt_id: stored.id, hlc: stored.hlc, pos_id: stored.posId, total: stored.total }, 'receipt buffered');
    return await fiscalisedOutcome(deps, stored);
  } finally {
    release();
  }
}

export const BUFFER_FULL_MESSAGE = 'Фискальный блок не может принять чек: нет связи с сервером, очередь неотправленных чеков заполнена. Сообщите администратору; продажи возобновятся после отправки чеков.';
export const STORAGE_FULL_MESSAGE = 'Фискальный блок не может сохранить чек: закончилось место. Сообщите в поддержку.';

function bufferFullProblem(why: string): Problem {
  return new Problem(507, 'buffer-full', 'Receipt buffer full',
    `${why}: the box cannot reach the hub to send them, and it never drops a stored receipt to make room. Action: restore the box's network/uplink (see GET /v1/kkt/buffer/status); sales resume as the backlog drains. Nothing was stored; retry with the same Idempotency-Key.`,
    { cashier_message: BUFFER_FULL_MESSAGE }, { 'Retry-After': '60' });
}

function replay(buffer: ReceiptBuffer, key: string, hash: string): AcceptOutcome | null {
  const existing = buffer.getByIdempotencyKey(key);
  if (!existing) return null;
  if (existing.requestHash !== hash) throw keyReusedProblem();
  // An abandoned sale stays abandoned: printing it now would charge a customer who left.
  if (existing.status === 'cancelled') {
    throw new Problem(409, 'receipt-cancelled', 'Sale cancelled',
      `the sale under this Idempotency-Key (receipt ${existing.id}) was cancelled at ${existing.cancelledAt ?? existing.updatedAt} and will not be printed; ring the sale up again with a new key`,
      { receipt_id: existing.id, receipt_status: existing.status });
  }
  // A crash between insert and storing the response cannot happen (same transaction), but a
  // missing response is rebuilt from the row rather than failing the POS.
  const response = existing.response ?? { status: 201, body: acceptedBody(existing) };
  return { response, receiptId: existing.id, replayed: true };
}

/** Fiscalises `stored` and answers for it, with the time the fiscaliser took (Server-Timing). */
async function fiscalisedOutcome(deps: AcceptDeps, stored: StoredReceipt): Promise<AcceptOutcome> {
  const t = performance.now();
  const response = await fiscalise(deps, stored);
  return { response, receiptId: stored.id, replayed: false, fiscalMs: performance.now() - t };
}

async function fiscalise(deps: AcceptDeps, stored: StoredReceipt): Promise<StoredResponse> {
  let result: FiscalResult;
  try {
    result = await deps.fiscaliser.fiscalise(stored);
  } catch (err) {
    result = { status: 'print_failed', error: (err as Error).message };
  }
  // Still buffered: the response stored with the insert is already the right one, and not
  // writing again keeps one fsync per group commit instead of one per sale.
  if (result.status === 'buffered') {
    // A fiscaliser that promised a synced write but left the receipt buffered: the insert may
    // not be on disk yet, and this answer acknowledges it.
    if (deps.fiscaliser.syncsBeforeAnswer) deps.buffer.syncNow();
    deps.log.debug({ receipt_id: stored.id, reason: result.reason }, 'receipt left buffered');
    return stored.response ?? { status: 201, body: acceptedBody(stored, { message: BUFFERED_MESSAGE }) };
  }
  const { buffer } = deps;
  if (result.status === 'printed') {
    const fiscal = result.fiscal;
    // Settled meanwhile (the FN said a lost close went through): its answer is already stored.
    const now = buffer.get(stored.id);
    if (now?.status === 'printed') return now.response ?? { status: 201, body: acceptedBody(now, { fiscal: now.fiscalData }) };
    // Status change and the replayable response commit together (one transaction); without
    // an fsync before the answer when the FN can rebuild it after a power cut.
    const commit = (): StoredResponse => {
      const response = { status: 201, body: acceptedBody(buffer.markPrinted(stored.id, fiscal), { fiscal }) };
      buffer.saveResponse(stored.id, response);
      return response;
    };
    return deps.fiscaliser.printedSurvivesPowerCut ? buffer.unsynced(commit) : buffer.db.transaction(commit)();
  }
  deps.log.warn({ receipt_id: stored.id, error: result.error }, 'print failed; receipt kept for retry');
  const current = buffer.get(stored.id);
  if (current?.status === 'print_failed') buffer.incrementRetry(stored.id, result.error);
  else buffer.markPrintFailed(stored.id, result.error);
  // The stored response stays the "buffered" one: a replay of this key prints again rather
  // than repeating the failure.
  const p = result.problem ?? new Problem(503, 'print-failed', 'Receipt not printed', `${result.error}. Retry with the same Idempotency-Key once the printer is ready.`, { fiscalised: false });
  throw new Problem(p.status, p.body.type.split('/').pop() ?? 'print-failed', p.body.title, p.body.detail,
    { ...withoutBase(p.body), receipt_id: stored.id, receipt_status: 'print_failed' }, p.headers);
}

function withoutBase(body: Record<string, unknown>): Record<string, unknown> {
  const { type: _t, title: _ti, status: _s, detail: _d, ...rest } = body;
  return rest;
}
