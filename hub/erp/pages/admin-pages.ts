// Import wizard and job pages, fiscal reports, the fleet page slot and the audit trail.
import type { Router } from '@koa/router';
import { AUDITED_FIELDS, auditRow, patientIds, readAuditFilter } from '../audit/display.js';
import { idParam } from '../http/domain-problems.js';
import { ValidationError } from '../domain/errors.js';
import { pageQuery, toPage } from '../domain/paging.js';
import { PRODUCT_KINDS } from '../domain/products.js';
import { actorOf } from '../http/auth-middleware.js';
import { DELIMITERS, ENCODINGS, FORMATS, MATCH_KEYS, TARGET_FIELDS } from '../import/profiles.js';
import { ROW_ERROR_TEMPLATES } from '../import/row-mapper.js';
import { dailyReport, readReportFilter, shiftReport, stores } from '../reports/fiscal-reports.js';
import type { ErpServices } from '../services.js';
import { fieldMessages, formBody, pageLink, render, requirePage, type Views } from './render.js';

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
  'product.barcode', 'product.brand', 'product.kind', 'product.sku', 'lens.supplier_code', 'kind.frame', 'kind.lens', 'kind.accessory', 'kind.other',
  // Every row error the mapper can report, so a new code cannot reach the preview untranslated.
  ...Object.keys(ROW_ERROR_TEMPLATES).map((c) => `rowerr.${c}`),
  'sep.decimal comma', 'sep.decimal point', 'target.supplier_code', 'target.barcode', 'target.name', 'target.brand', 'target.kind', 'target.sku',
  'target.cost', 'target.price'];

export function adminPages(r: Router, s: ErpServices, views: Views, fleetProvider: FleetProvider): void {
  const importer = requirePage(views, 'import:run');
  r.get('/import', importer, (ctx) => {
    const wizardText = Object.fromEntries(WIZARD_KEYS.map((k) => [k, views.raw(k)]));
    render(views, ctx, 'import.njk', { profiles: s.profiles.list(), wizardText });
  });
  const opt = (values: readonly string[], label: (v: string) => string) => values.map((v) => ({ value: v, label: label(v) }));
  const profileForm = (values: Record<string, unknown>, errors: Record<string, string>) => ({
    values, errors,
    formats: opt(FORMATS, (v) => v.toUpperCase()), encodings: opt(ENCODINGS, (v) => v), kinds: opt(PRODUCT_KINDS, (v) => views.t(`kind.${v}`)),
    delimiters: opt(DELIMITERS, (v) => (v === '\t' ? 'Tab' : v)), matchKeys: opt(MATCH_KEYS, (v) => views.t(`target.${v}`)),
    targets: opt(TARGET_FIELDS, (v) => views.t(`target.${v}`)),
  });
  r.get('/import/profiles/new', importer, (ctx) => {
    render(views, ctx, 'import-profile-form.njk', profileForm({ format: 'csv', encoding: 'cp1251', delimiter: ';', decimal_comma: true, match_key: 'supplier_code', default_kind: 'frame' }, {}));
  });
  r.post('/import/profiles', importer, (ctx) => {
    const b = formBody(ctx);
    // Form fields "mapping.name" etc. arrive as a nested object (the body parser reads dots as
    // nesting); the form re-renders from the dotted names.
    const mapping: Record<string, unknown> = typeof b.mapping === 'object' && b.mapping !== null ? { ...(b.mapping as Record<string, unknown>) } : {};
    for (const [k, v] of Object.entries(b)) if (k.startsWith('mapping.')) mapping[k.slice(8)] = v;
    const values: Record<string, unknown> = { ...b };
    for (const [k, v] of Object.entries(mapping)) values[`mapping.${k}`] = v;
    try {
      s.profiles.create({ ...b, mapping, decimal_comma: b.decimal_comma === 'true' }, actorOf(ctx));
      ctx.redirect('/import');
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      render(views, ctx, 'import-profile-form.njk', profileForm(values, fieldMessages(views, e)));
    }
  });
  r.get('/import/jobs', importer, (ctx) => render(views, ctx, 'import-jobs.njk', { page: s.imports.list(pageQuery(ctx.query)), query: ctx.query, link: pageLink }));
  r.get('/import/jobs/:id', importer, (ctx) => {
    const job = s.imports.get(idParam(ctx));
    render(views, ctx, 'import-job.njk', { job, errors: s.imports.errors(job.id, pageQuery(ctx.query)), query: ctx.query, link: pageLink });
  });

  r.get('/reports', requirePage(views, 'reports:read'), (ctx) => {
    const q = ctx.query;
    let f;
    try {
      f = readReportFilter(q);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      const problem = Object.entries(fieldMessages(views, e)).map(([k, m]) => `${views.t(`reports.${k === 'store_id' ? 'store' : k}`)}: ${m}`).join('; ');
      render(views, ctx, 'reports.njk', { daily: [], shifts: [], stores: stores(s.db), query: q, problem });
      return;
    }
    render(views, ctx, 'reports.njk', { daily: dailyReport(s.db, f), shifts: shiftReport(s.db, f), stores: stores(s.db), query: q });
  });
  r.get('/fleet', requirePage(views, 'fleet:read'), async (ctx) => {
    render(views, ctx, 'fleet.njk', { boxes: await fleetProvider() });
  });
  const entities = Object.keys(AUDITED_FIELDS).map((v) => ({ value: v, label: views.t(`audit.entity.${v}`) }));
  r.get('/audit', requirePage(views, 'audit:read'), (ctx) => {
    const q = pageQuery(ctx.query);
    let f;
    try {
      f = readAuditFilter(ctx.query);
    } catch (e) {
      // As on /reports: a bad filter is said, with nothing listed, never a silently wider list.
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      const problem = Object.entries(fieldMessages(views, e)).map(([k, m]) => `${views.t(`audit.${k}`)}: ${m}`).join('; ');
      render(views, ctx, 'audit.njk', { page: toPage([], 0, q), entities, problem, query: ctx.query, link: pageLink });
      return;
    }
    const res = s.audit.list({ ...f, limit: q.per_page, offset: (q.page - 1) * q.per_page });
    const names = s.patients.names(patientIds(res.items));
    const items = res.items.map((e) => auditRow(e, views.t, names));
    render(views, ctx, 'audit.njk', { page: toPage(items, res.total, q), entities, query: ctx.query, link: pageLink });
  });
}
