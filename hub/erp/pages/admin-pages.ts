// Import wizard and job pages, fiscal reports, the fleet page slot and the audit trail.
import type { Router } from '@koa/router';
import { idParam } from '../http/domain-problems.js';
import { pageQuery } from '../domain/paging.js';
import { dailyReport, shiftReport, stores } from '../reports/fiscal-reports.js';
import type { ErpServices } from '../services.js';
import { pageLink, render, requirePage, type Views } from './render.js';

/** One box as the fleet page shows it; the hub's fleet module supplies these. */
export interface FleetBox {
  box_id: string;
  store_id: string;
  status: string;
  last_seen: string | null;
  buffer_pending?: number;
  detail?: string;
}
export type FleetProvider = () => FleetBox[] | Promise<FleetBox[]>;

const WIZARD_KEYS = ['import.row', 'import.problems', 'import.ok', 'import.choose_file', 'import.progress', 'import.created', 'import.updated',
  'import.unchanged', 'import.failed', 'job.draft', 'job.running', 'job.done', 'job.failed', 'product.name', 'product.price', 'product.cost',
  'product.barcode', 'product.brand', 'product.kind', 'product.sku', 'lens.supplier_code'];

export function adminPages(r: Router, s: ErpServices, views: Views, fleetProvider: FleetProvider): void {
  const importer = requirePage(views, 'import:run');
  r.get('/import', importer, (ctx) => {
    const wizardText = Object.fromEntries(WIZARD_KEYS.map((k) => [k, views.t(k)]));
    render(views, ctx, 'import.njk', { profiles: s.profiles.list(), wizardText });
  });
  r.get('/import/jobs', importer, (ctx) => render(views, ctx, 'import-jobs.njk', { page: s.imports.list(pageQuery(ctx.query)), query: ctx.query, link: pageLink }));
  r.get('/import/jobs/:id', importer, (ctx) => {
    const job = s.imports.get(idParam(ctx));
    render(views, ctx, 'import-job.njk', { job, errors: s.imports.errors(job.id, pageQuery(ctx.query)), query: ctx.query, link: pageLink });
  });

  r.get('/reports', requirePage(views, 'reports:read'), (ctx) => {
    const q = ctx.query;
    const f = { store_id: typeof q.store_id === 'string' && q.store_id ? q.store_id : undefined, from: typeof q.from === 'string' && q.from ? q.from : undefined, to: typeof q.to === 'string' && q.to ? q.to : undefined };
    render(views, ctx, 'reports.njk', { daily: dailyReport(s.db, f), shifts: shiftReport(s.db, f), stores: stores(s.db), query: q });
  });
  r.get('/fleet', requirePage(views, 'fleet:read'), async (ctx) => {
    render(views, ctx, 'fleet.njk', { boxes: await fleetProvider() });
  });
  r.get('/audit', requirePage(views, 'audit:read'), (ctx) => {
    const q = pageQuery(ctx.query);
    const res = s.audit.list({ limit: q.per_page, offset: (q.page - 1) * q.per_page });
    render(views, ctx, 'audit.njk', { page: { ...res, page: q.page, per_page: q.per_page, pages: Math.max(1, Math.ceil(res.total / q.per_page)) }, query: ctx.query, link: pageLink });
  });
}
