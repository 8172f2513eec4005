// POS receipt routes: thin HTTP mapping around accept-receipt.ts and the buffer.
import type Router from '@koa/router';
import { Problem } from '../../../shared/http/problem.js';
import { acceptReceipt, type AcceptDeps } from '../accept-receipt.js';
import { parseIdempotencyKey } from '../idempotency.js';
import { receiptView } from '../receipt-view.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function receiptRoutes(router: Router, deps: AcceptDeps & { onOutcome?: (o: string) => void }): void {
  router.post('/v1/kkt/receipt', async (ctx) => {
    let outcome;
    try {
      if (!ctx.is('application/json')) {
        throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', 'send the receipt as Content-Type: application/json');
      }
      const key = parseIdempotencyKey(ctx.headers['idempotency-key']);
      outcome = await acceptReceipt(deps, key, ctx.request.body);
    } catch (err) {
      deps.onOutcome?.(err instanceof Problem && err.status === 409 ? 'conflict' : 'rejected');
      throw err;
    }
    deps.onOutcome?.(outcome.replayed ? 'replayed' : 'created');
    ctx.status = outcome.response.status;
    ctx.body = outcome.response.body;
    ctx.set('Location', `/v1/kkt/receipt/${outcome.receiptId}`);
    if (outcome.replayed) ctx.set('Idempotent-Replayed', 'true');
  });

  router.get('/v1/kkt/receipt/:id', (ctx) => {
    const id = ctx.params.id ?? '';
    const r = UUID_RE.test(id) ? deps.buffer.get(id.toLowerCase()) : null;
    if (!r) throw new Problem(404, 'receipt-not-found', 'Receipt not found', `no receipt with id ${id} on this box`);
    ctx.body = receiptView(r);
  });
}
