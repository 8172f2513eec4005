// POS receipt routes: thin HTTP mapping around accept-receipt.ts, cancel-receipt.ts and the buffer.
import type Router from '@koa/router';
import { z } from 'zod';
import { Problem } from '../../../shared/http/problem.js';
import { boundedText, zodFieldErrors } from '../../../shared/receipt.js';
import { RECEIPT_STATUSES, type ReceiptStatus } from '../../buffer/statuses.js';
import { acceptReceipt, type AcceptDeps } from '../accept-receipt.js';
import { cancelReceipt, DEFAULT_CANCEL_REASON, receiptNotFound } from '../cancel-receipt.js';
import { parseIdempotencyKey } from '../idempotency.js';
import { receiptView } from '../receipt-view.js';
import type { SalesGate } from '../sales-gate.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const cancelBody = z.strictObject({ reason: boundedText(200).optional() });
const LIST_LIMIT = 500;

export function receiptRoutes(router: Router, deps: AcceptDeps & { onOutcome?: (o: string) => void; afterChange?: () => void; gate?: SalesGate }): void {
  router.post('/v1/kkt/receipt', async (ctx) => {
    const t0 = performance.now();
    let outcome;
    try {
      const json = ctx.is('application/json');
      if (json === false) {
        throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', 'send the receipt as Content-Type: application/json');
      }
      if (json === null || !(ctx.request as { rawBody?: string }).rawBody) {
        throw new Problem(400, 'body-required', 'Request body required', 'send the receipt as a JSON body');
      }
      const key = parseIdempotencyKey(ctx.headers['idempotency-key']);
      const body: unknown = ctx.request.body;
      outcome = deps.gate ? await deps.gate.run(() => acceptReceipt(deps, key, body)) : await acceptReceipt(deps, key, body);
    } catch (err) {
      deps.onOutcome?.(err instanceof Problem && err.status === 409 ? 'conflict' : err instanceof Problem && err.status >= 500 ? 'refused' : 'rejected');
      throw err;
    }
    deps.onOutcome?.(outcome.replayed ? 'replayed' : 'created');
    ctx.status = outcome.response.status;
    ctx.body = outcome.response.body;
    ctx.set('Location', `/v1/kkt/receipt/${outcome.receiptId}`);
    if (outcome.replayed) ctx.set('Idempotent-Replayed', 'true');
    // Where a slow sale's time went, for the POS developer (W3C Server-Timing): the box's whole
    // handling, and the part spent fiscalising (printer, fiscal drive, checkpoint).
    const timing = [`box;dur=${(performance.now() - t0).toFixed(2)}`];
    if (outcome.fiscalMs !== undefined) timing.push(`printer;dur=${outcome.fiscalMs.toFixed(2)}`);
    ctx.set('Server-Timing', timing.join(', '));
  });

  router.get('/v1/kkt/receipt/:id', (ctx) => {
    const id = ctx.params.id ?? '';
    const r = UUID_RE.test(id) ? deps.buffer.get(id.toLowerCase()) : null;
    if (!r) throw receiptNotFound(id);
    ctx.body = receiptView(r);
  });

  // The body is optional ({"reason": "..."}); an empty POST cancels with the default reason.
  router.post('/v1/kkt/receipt/:id/cancel', async (ctx) => {
    const id = ctx.params.id ?? '';
    if (!UUID_RE.test(id)) throw receiptNotFound(id);
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && ctx.is('application/json') === false) {
      throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', 'send the optional {"reason": "..."} as Content-Type: application/json, or no body at all');
    }
    const raw: unknown = (ctx.request as { rawBody?: string }).rawBody ? ctx.request.body : {};
    const parsed = cancelBody.safeParse(raw);
    if (!parsed.success) {
      const errors = zodFieldErrors(parsed.error);
      throw new Problem(422, 'invalid-request', 'Invalid request', `${errors.length} field(s) are invalid: ${errors.map((e) => e.field).join(', ')}`, { errors });
    }
    const run = () => cancelReceipt(deps, id.toLowerCase(), parsed.data.reason ?? DEFAULT_CANCEL_REASON);
    // Through the sales gate: during a power-loss shutdown it may need the printer and the
    // database, which are about to go.
    const r = deps.gate ? await deps.gate.run(run) : await run();
    deps.afterChange?.();
    ctx.body = receiptView(r);
  });

  // Receipts in one status, oldest first: how a back office finds the sales left print_failed.
  router.get('/v1/kkt/receipts', (ctx) => {
    const status = ctx.query.status;
    const limitText = ctx.query.limit ?? '50';
    const errors: { field: string; message: string }[] = [];
    if (typeof status !== 'string' || !(RECEIPT_STATUSES as readonly string[]).includes(status)) {
      errors.push({ field: 'status', message: `required, one of ${RECEIPT_STATUSES.join(', ')}` });
    }
    const limit = typeof limitText === 'string' && /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= LIST_LIMIT)) errors.push({ field: 'limit', message: `an integer from 1 to ${LIST_LIMIT} (default 50)` });
    if (errors.length) {
      throw new Problem(400, 'invalid-query', 'Invalid query', `${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
    }
    // `total`: all in that status, so a caller sees when the list is cut at `limit`.
    const { rows, total } = deps.buffer.byStatus(status as ReceiptStatus, limit);
    ctx.body = { status, count: rows.length, total, receipts: rows.map(receiptView) };
  });
}
