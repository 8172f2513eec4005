// Open operational routes (/health, /metrics) and the POS-facing buffer status.
import type Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { ReceiptBuffer } from '../../buffer/receipt-buffer.js';
import type { HealthRegistry } from '../../health/health.js';

export function healthRoute(router: Router, health: HealthRegistry): void {
  router.get('/health', async (ctx) => {
    const report = await health.report();
    ctx.status = report.status === 'healthy' ? 200 : 503;
    ctx.body = report;
    ctx.set('Cache-Control', 'no-store');
  });
}

export function metricsRoute(router: Router, registry: Registry): void {
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
}

export function bufferRoutes(router: Router, buffer: ReceiptBuffer): void {
  router.get('/v1/kkt/buffer/status', (ctx) => {
    ctx.body = buffer.status();
  });
}
