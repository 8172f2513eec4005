// The hub's operator API: fleet, OFD state, DLQ and re-drive. Thin routes over the services.
import Router, { type RouterContext } from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { jsonBody } from '../../shared/http/json-body.js';
import { Problem } from '../../shared/http/problem.js';
import { zodFieldErrors } from '../../shared/receipt.js';
import type { ErpLink } from '../erp-link/erp-link.js';
import type { BoxAddress } from '../../shared/mqtt/topics.js';
import type { Fleet } from '../fleet/fleet.js';
import type { DocumentStore } from '../ingest/document-store.js';
import type { OfdForwarder } from '../ofd/forwarder.js';

export interface OpsDeps {
  fleet: Fleet; store: DocumentStore; forwarder: OfdForwarder; operatorToken: string; erpLink?: ErpLink | null;
  /** Publishes cmd/sync to the box; null when the hub's MQTT client is down. */
  requestSync?: (a: BoxAddress) => Promise<string | null>;
}

// "All" is said explicitly: an empty or unread body must never mean "re-drive everything".
const redriveBody = z.strictObject({
  receipt_ids: z.array(z.uuid('must be a receipt id (UUID)')).min(1, 'name at least one receipt, or send {"all": true}').max(10_000).optional(),
  all: z.literal(true, 'must be true (to re-drive every dead document)').optional(),
}).refine((b) => (b.receipt_ids === undefined) !== (b.all === undefined), { message: 'send either {"receipt_ids": [...]} or {"all": true}' });

function bearer(token: string) {
  const want = Buffer.from(`Bearer ${token}`);
  return async (ctx: RouterContext, next: () => Promise<unknown>) => {
    const got = Buffer.from(ctx.get('authorization'));
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new Problem(401, 'unauthorized', 'Unauthorized', 'send the operator token as "Authorization: Bearer <token>"', {}, { 'www-authenticate': 'Bearer' });
    }
    await next();
  };
}

export function opsRouter(d: OpsDeps): Router {
  const r = new Router({ prefix: '/api' });
  r.use(bearer(d.operatorToken));
  // Router middleware runs only for the routes below, so ERP requests keep their bodies unread.
  r.use(jsonBody({ limitKb: 1024 }));
  r.get('/fleet', (ctx) => { ctx.body = { boxes: d.fleet.list() }; });
  // Ask one box to drain its outbox now (e.g. after fixing its link), instead of waiting for its poll.
  r.post('/boxes/:store/:box/sync', async (ctx) => {
    const a = { store: ctx.params.store ?? '', box: ctx.params.box ?? '' };
    if (!d.fleet.get(a)) throw new Problem(404, 'box-not-found', 'Box not found', `no box ${a.store}/${a.box} is registered at this hub (npm run hub:box -- list)`);
    const id = d.requestSync ? await d.requestSync(a) : null;
    if (id === null) throw new Problem(503, 'mqtt-unavailable', 'MQTT unavailable', 'the hub is not connected to its broker; try again shortly', {}, { 'retry-after': '5' });
    ctx.status = 202;
    ctx.body = { request_id: id, box: a, topic: `kkt/v1/${a.store}/${a.box}/cmd/sync`, note: 'the box drains its outbox when it is online (the command waits in its session while it is not)' };
  });
  r.get('/ofd', (ctx) => {
    ctx.body = { breaker: d.forwarder.breakerState, in_flight: d.forwarder.inFlight, documents: d.store.counts() };
  });
  r.get('/ofd/dlq', (ctx) => {
    ctx.body = { documents: d.store.dead(500), malformed: d.store.malformed(100) };
  });
  r.post('/ofd/dlq/redrive', (ctx) => {
    const json = ctx.is('application/json');
    if (json === false) throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as Content-Type: application/json');
    if (json === null || !(ctx.request as { rawBody?: string }).rawBody) {
      throw new Problem(400, 'body-required', 'Request body required', 'send {"receipt_ids": [...]} or {"all": true}');
    }
    const parsed = redriveBody.safeParse((ctx.request as { body?: unknown }).body);
    if (!parsed.success) throw new Problem(422, 'validation', 'Invalid request', 'the body does not match the schema', { errors: zodFieldErrors(parsed.error) });
    const redriven = d.store.redrive(parsed.data.all ? undefined : parsed.data.receipt_ids);
    d.forwarder.wake();
    ctx.body = { redriven };
  });
  const link = () => {
    if (!d.erpLink) throw new Problem(404, 'erp-disabled', 'ERP not enabled', 'this hub runs without the ERP (erp.enabled = false)');
    return d.erpLink;
  };
  r.get('/erp-link', (ctx) => { const l = link(); ctx.body = { ...l.counts(), documents: l.failures(500) }; });
  r.post('/erp-link/retry', (ctx) => { ctx.body = { retried: link().retryNow() }; });
  return r;
}
