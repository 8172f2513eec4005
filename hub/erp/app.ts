// The ERP as one Koa app the hub mounts (or runs standalone): REST API under /api/v1 with
// problem+json errors, Russian pages, static assets. createErpApp() builds the services too,
// and hands them back so the hub ingest can call recordFiscalDocument().
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import compose from 'koa-compose';
import type { Registry } from 'prom-client';
import type { Db } from '../../shared/db.js';
import { jsonBody } from '../../shared/http/json-body.js';
import { Problem, problemMiddleware } from '../../shared/http/problem.js';
import type { Logger } from '../../shared/logger.js';
import { authenticate, foreignOrigin } from './http/auth-middleware.js';
import { apiRouter } from './http/api-routes.js';
import { domainProblems, toProblem } from './http/domain-problems.js';
import { adminPages, type FleetProvider } from './pages/admin-pages.js';
import { catalogPages } from './pages/catalog-pages.js';
import { orderPages } from './pages/order-pages.js';
import { patientPages } from './pages/patient-pages.js';
import { createViews, render, type Views } from './pages/render.js';
import { sessionPages } from './pages/session-pages.js';
import { createErpServices, type ErpServices } from './services.js';

export type { FleetBox, FleetProvider } from './pages/admin-pages.js';

export interface ErpAppOptions {
  db: Db;
  logger: Logger;
  dataDir: string;
  fleetProvider?: FleetProvider;
  lang?: string;
  /** IANA zone the pages show times in (default Europe/Moscow); stored times stay UTC. */
  timeZone?: string;
  now?: () => Date;
  maxUploadBytes?: number;
  /** Per-app Prometheus registry of the hub (ERP counters are added to it). */
  registry?: Registry;
}

const STATIC: Record<string, { file: string; type: string }> = {
  'erp.css': { file: 'erp.css', type: 'text/css; charset=utf-8' },
  'import-wizard.js': { file: 'import-wizard.js', type: 'text/javascript; charset=utf-8' },
};

function staticAssets() {
  const dir = fileURLToPath(new URL('./static/', import.meta.url));
  const files = new Map(Object.entries(STATIC).map(([name, f]) => [`/static/${name}`, { body: readFileSync(dir + f.file), type: f.type }]));
  return async (ctx: Context, next: Next): Promise<void> => {
    const f = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!f) return next();
    ctx.type = f.type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = f.body;
  };
}

/** HTML error pages for the page routes; the API gets problem+json instead. */
function pageErrors(views: Views, logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        render(views, ctx, 'error.njk', { message: views.t('error.404') });
      }
    } catch (err) {
      const p = toProblem(err) as { status?: number };
      const status = typeof p.status === 'number' && p.status >= 400 && p.status < 500 ? p.status : 500;
      if (status === 500) logger.error({ err, path: ctx.path }, 'page failed');
      ctx.status = status;
      render(views, ctx, 'error.njk', { message: views.t(status === 404 ? 'error.404' : status === 403 ? 'error.403' : 'error.500') });
    }
  };
}

/** Pages refuse a form posted from another site with a page that says so. */
function sameOriginPages(views: Views) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const other = foreignOrigin(ctx);
    if (other === null) return next();
    ctx.status = 403;
    render(views, ctx, 'error.njk', { message: views.t('error.cross_origin', { origin: other }) });
  };
}

async function sameOriginApi(ctx: Context, next: Next): Promise<void> {
  const other = foreignOrigin(ctx);
  if (other !== null) {
    throw new Problem(403, 'cross-origin', 'Cross-site request refused',
      `this request came from ${other}, not from the ERP's own pages; call the API with "Authorization: Bearer <token>" from POST /api/v1/auth/login`);
  }
  await next();
}

const UPLOAD_PATH = '/api/v1/import/uploads';

/**
 * The API reads JSON only (shared/http/json-body.ts: UTF-8, no duplicate keys, bounded depth).
 * A body in any other type is 415, not an empty object that then fails as "last_name is
 * required". The price-list upload streams its raw body and is left unread here.
 */
function apiBody(): Koa.Middleware {
  const json = jsonBody({ limitKb: 1024 });
  return async (ctx, next) => {
    if (ctx.path === UPLOAD_PATH) return next();
    const length = Number(ctx.get('content-length') || 0);
    const hasBody = length > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is('json')) {
      const got = ctx.get('content-type') ? `Content-Type ${ctx.request.type}` : 'no Content-Type';
      throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', `the body was sent with ${got}; send it as JSON with Content-Type: application/json`);
    }
    await json(ctx, next);
  };
}

export interface ErpApp {
  app: Koa;
  /** The same app as one middleware, for mounting inside the hub's Koa app. */
  middleware: Koa.Middleware;
  services: ErpServices;
  close(): Promise<void>;
}

export function createErpApp(opts: ErpAppOptions): ErpApp {
  const services = createErpServices({ db: opts.db, logger: opts.logger, dataDir: opts.dataDir, now: opts.now, maxUploadBytes: opts.maxUploadBytes, registry: opts.registry });
  const views = createViews(opts.lang ?? 'ru', opts.timeZone);
  const log = opts.logger;

  const api = apiRouter(services);
  const pages = new Router();
  sessionPages(pages, services, views);
  patientPages(pages, services, views);
  orderPages(pages, services, views);
  catalogPages(pages, services, views);
  adminPages(pages, services, views, opts.fleetProvider ?? (() => []));

  const body = bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '1mb', formLimit: '256kb', extendTypes: { form: ['application/x-www-form-urlencoded'] } });
  const apiChain: Koa.Middleware = compose<Context>([
    problemMiddleware((err, ctx) => log.error({ err, path: ctx.path }, 'api request failed')),
    sameOriginApi,
    domainProblems,
    apiBody(),
    api.routes() as unknown as Koa.Middleware,
    api.allowedMethods({ throw: true }) as unknown as Koa.Middleware,
  ]);
  const pageChain: Koa.Middleware = compose<Context>([pageErrors(views, log), sameOriginPages(views), body, pages.routes() as unknown as Koa.Middleware, pages.allowedMethods() as unknown as Koa.Middleware]);

  const app = new Koa();
  app.proxy = false;
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    // Pages load only their own script and stylesheet; no inline script can run even if some
    // text ever slipped past the template escaping.
    ctx.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    await next();
  });
  app.use(staticAssets());
  app.use(authenticate(services.users));
  app.use((ctx, next) => (ctx.path === '/api/v1' || ctx.path.startsWith('/api/v1/') ? apiChain(ctx, next) : pageChain(ctx, next)));
  app.on('error', (err) => log.debug({ err }, 'koa error'));
  return {
    app,
    middleware: compose(app.middleware),
    services,
    close: () => services.imports.idle(),
  };
}
