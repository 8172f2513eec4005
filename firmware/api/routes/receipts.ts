// POS receipt routes: thin HTTP mapping around accept-receipt.ts and the buffer.
import type Router from '@koa/router';
import { Problem } from '../../../shared/http/problem.js';
import { acceptReceipt, type AcceptDeps } from '../accept-receipt.js';
import { parseIdempotencyKey } from '../idempotency.js';
import { receiptView } from '../receipt-view.js';
import type { SalesGate } from '../sales-gate.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function receiptRoutes(router: Router, deps: AcceptDeps & { onOutcome?: (o: string) => void; gate?: SalesGate }): void {
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
    if (!r) throw new Problem(404, 'receipt-not-found', 'Receipt not found', `no receipt with id ${id} on this box`);
    ctx.body = receiptView(r);
  });
}
