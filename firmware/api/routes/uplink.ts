// Uplink routes: POST /v1/kkt/sync (seed W4: one drain at a time, a second gets 409), the
// uplink status, the refund saga guard, and the POS status widget (open, like /health: it
// shows no receipt data).
import type Router from '@koa/router';
import { readFileSync } from 'node:fs';
import { Problem } from '../../../shared/http/problem.js';
import type { ReceiptBuffer } from '../../buffer/receipt-buffer.js';
import type { Heartbeat } from '../../uplink/heartbeat.js';
import { SyncBusy, type Uplink } from '../../uplink/uplink.js';
import { widgetStatus } from '../../uplink/widget-status.js';

export interface UplinkRouteDeps { buffer: ReceiptBuffer; uplink: Uplink | null; heartbeat: Heartbeat | null }

const STATIC = new URL('../static/', import.meta.url);
const widgetHtml = readFileSync(new URL('widget.html', STATIC), 'utf8');
const widgetJs = readFileSync(new URL('widget.js', STATIC), 'utf8');

export function widgetRoutes(open: Router, d: UplinkRouteDeps): void {
  open.get('/pos/widget', (ctx) => { ctx.type = 'text/html; charset=utf-8'; ctx.set('Cache-Control', 'no-store'); ctx.body = widgetHtml; });
  open.get('/pos/widget.js', (ctx) => { ctx.type = 'application/javascript; charset=utf-8'; ctx.body = widgetJs; });
  open.get('/pos/widget/status.json', (ctx) => { ctx.set('Cache-Control', 'no-store'); ctx.body = widgetStatus(d.buffer, d.uplink, d.heartbeat); });
}

export function uplinkRoutes(api: Router, d: UplinkRouteDeps): void {
  api.post('/v1/kkt/sync', (ctx) => {
    if (!d.uplink) throw new Problem(503, 'uplink-disabled', 'Uplink not configured', 'this box has no hub uplink configured (uplink.enabled)');
    if (!d.uplink.connected) throw new Problem(503, 'uplink-offline', 'Hub unreachable', 'the box is not connected to the hub; documents stay in the buffer and go when the link returns');
    try {
      const run = d.uplink.sync();
      run.catch(() => {});
    } catch (err) {
      if (err instanceof SyncBusy) throw new Problem(409, 'sync-in-progress', 'Sync already running', 'a drain of the buffer is already running; try again when it has finished');
      throw err;
    }
    ctx.status = 202;
    ctx.body = { status: 'started', pending: d.uplink.outbox.counts().unsent };
  });
  api.get('/v1/kkt/uplink/status', (ctx) => { ctx.body = { ...widgetStatus(d.buffer, d.uplink, d.heartbeat), syncing: d.uplink?.syncing ?? false, in_flight: d.uplink?.inFlight ?? 0 }; });
}

/**
 * Refund saga (seed W8): a refund of a receipt of this box is refused while the original has
 * no OFD ticket yet (not synced). Originals this box does not know (another box, before this
 * box's time) cannot be checked here and pass.
 */
export function refundSagaGuard(api: Router, buffer: ReceiptBuffer): void {
  api.post('/v1/kkt/receipt', async (ctx, next) => {
    const body = ctx.request.body as { type?: unknown; original_receipt_id?: unknown } | undefined;
    if (body?.type === 'refund' && typeof body.original_receipt_id === 'string') {
      // Receipt ids are stored in lower case; an upper-case id must not slip past this check.
      const original = buffer.get(body.original_receipt_id.toLowerCase());
      if (original?.status === 'cancelled') {
        throw new Problem(409, 'refund-original-cancelled', 'Original receipt was cancelled',
          `the original receipt ${original.id} was cancelled before it was fiscalised: there is no sale to refund`, { original_status: original.status });
      }
      if (original && original.status !== 'synced') {
        throw new Problem(409, 'refund-original-not-synced', 'Original receipt not confirmed by the OFD yet',
          `the original receipt ${original.id} is ${original.status}: a refund is accepted once the OFD has confirmed the sale`,
          { original_status: original.status });
      }
    }
    await next();
  });
}
