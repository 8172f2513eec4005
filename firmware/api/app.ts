// The LAN API wiring: problem+json outermost, metrics, auth for /v1, a bounded JSON body
// parser, then the routes. /health and /metrics are open: a load balancer, systemd and
// Prometheus probe them without a POS token, and they reveal no receipt data.
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../../shared/logger.js';
import { jsonBody } from '../../shared/http/json-body.js';
import { problemMiddleware } from '../../shared/http/problem.js';
import type { VatCode } from '../../shared/receipt.js';
import type { ReceiptBuffer } from '../buffer/receipt-buffer.js';
import type { Fiscaliser } from '../fiscal/fiscaliser.js';
import type { HealthRegistry } from '../health/health.js';
import type { BoxMetrics } from '../metrics.js';
import { bearerAuth } from './auth.js';
import { InFlightKeys } from './idempotency.js';
import type { SalesGate } from './sales-gate.js';
import { kktRoutes, type KktOperations } from './routes/kkt.js';
import { receiptRoutes } from './routes/receipts.js';
import { bufferRoutes, healthRoute, metricsRoute } from './routes/status.js';
import { refundSagaGuard, uplinkRoutes, widgetRoutes, type UplinkRouteDeps } from './routes/uplink.js';

export interface AppDeps {
  buffer: ReceiptBuffer;
  fiscaliser: Fiscaliser;
  health: HealthRegistry;
  metrics: BoxMetrics;
  log: Logger;
  posTokens: readonly string[];
  bodyLimitKb: number;
  defaultVat: VatCode;
  /** Closed on power loss and shutdown: new sales get 503. */
  gate?: SalesGate;
  /** Called after every POST /v1/kkt/receipt and every cancel (the buffer fill watch re-reads its state). */
  afterSale?: () => void;
  /** Shift and report commands; absent when no printer is configured (they answer 503). */
  kkt?: KktOperations;
  /** Hub uplink (sync, status, POS widget); routes answer 503 without one. */
  uplink?: Omit<UplinkRouteDeps, 'buffer'>;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  // Case-sensitive: /V1/... must not reach a route that the auth check below does not cover.
  const open = new Router({ sensitive: true });
  healthRoute(open, deps.health);
  metricsRoute(open, deps.metrics.registry);
  const uplinkDeps: UplinkRouteDeps = { buffer: deps.buffer, uplink: deps.uplink?.uplink ?? null, heartbeat: deps.uplink?.heartbeat ?? null };
  widgetRoutes(open, uplinkDeps);

  const api = new Router({ sensitive: true });
  refundSagaGuard(api, deps.buffer);
  receiptRoutes(api, {
    buffer: deps.buffer, fiscaliser: deps.fiscaliser, inFlight: new InFlightKeys(), defaultVat: deps.defaultVat,
    log: deps.log, ...(deps.gate ? { gate: deps.gate } : {}), onOutcome: (o) => {
      deps.metrics.receiptsAccepted.inc({ outcome: o });
      deps.afterSale?.();
    },
    afterChange: () => deps.afterSale?.(),
  });
  bufferRoutes(api, deps.buffer);
  kktRoutes(api, deps.kkt);
  uplinkRoutes(api, uplinkDeps);

  const auth = bearerAuth(deps.posTokens);
  const parser = jsonBody({ limitKb: deps.bodyLimitKb });

  app.use(async (ctx, next) => {
    const end = deps.metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      end({ method: ctx.method, route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched', status: String(ctx.status) });
    }
  });
  app.use(problemMiddleware((err, ctx) => deps.log.error({ err, method: ctx.method, path: ctx.path }, 'unexpected error')));
  app.use(open.routes());
  app.use(async (ctx, next) => (ctx.path.toLowerCase().startsWith('/v1/') ? auth(ctx, next) : next()));
  app.use(parser);
  app.use(api.routes());
  app.use(api.allowedMethods());
  return app;
}
