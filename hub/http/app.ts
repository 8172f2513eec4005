// The hub's HTTP app: problem+json errors, /health, /metrics, then a plain list of routers
// and mounted apps (operator API, ERP, ...). Adding a part = one entry in `parts`. Each part
// parses its own request bodies: a body parsed here would hide form posts from the ERP's parser.
import type Router from '@koa/router';
import Koa from 'koa';
import type { Registry } from 'prom-client';
import { problemMiddleware } from '../../shared/http/problem.js';
import type { Logger } from '../../shared/logger.js';
import { mountApp } from './mount.js';

export type HubHttpPart = { router: Router } | { prefix: string; app: Koa } | { middleware: Koa.Middleware };

/** `degraded`: working, but someone should look (the OFD breaker open: documents wait at the hub). */
export interface HealthCheck { name: string; check(): { ok: boolean; degraded?: boolean; detail?: string } }

export interface HubHttpOptions {
  logger: Logger;
  registry: Registry;
  health: HealthCheck[];
  parts: HubHttpPart[];
  version: string;
}

export function createHubHttpApp(o: HubHttpOptions): Koa {
  const app = new Koa();
  app.use(problemMiddleware((err, ctx) => o.logger.error({ err, path: ctx.path }, 'unexpected error in hub http')));
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/health') {
      const components = Object.fromEntries(o.health.map((h) => {
        try { return [h.name, h.check()]; } catch (err) { return [h.name, { ok: false, detail: (err as Error).message }]; }
      }));
      const ok = Object.values(components).every((c) => c.ok);
      const degraded = Object.entries(components).filter(([, c]) => c.ok && c.degraded).map(([name]) => name);
      ctx.status = ok ? 200 : 503;
      ctx.body = { status: !ok ? 'failing' : degraded.length ? 'degraded' : 'ok', degraded, version: o.version, uptime_s: Math.round(process.uptime()), components };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/metrics') {
      ctx.type = o.registry.contentType;
      ctx.body = await o.registry.metrics();
      return;
    }
    await next();
  });
  for (const p of o.parts) {
    if ('router' in p) app.use(p.router.routes()).use(p.router.allowedMethods());
    else if ('app' in p) app.use(mountApp(p.prefix, p.app));
    else app.use(p.middleware);
  }
  return app;
}
