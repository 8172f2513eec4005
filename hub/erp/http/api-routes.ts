// REST API under /api/v1 (docs/openapi/hub-erp-api.yaml). Routes stay thin: read the request,
// call one domain function, return its result; domain errors become problem+json upstream.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { Problem } from '../../../shared/http/problem.js';
import { can } from '../auth/roles.js';
import { pageQuery } from '../domain/paging.js';
import { toDcs } from '../domain/dcs-export.js';
import { FieldErrors } from '../domain/errors.js';
import { ID_RULE as ID, readScaled, readText } from '../domain/fields.js';
import { dailyReport, readReportFilter, shiftReport } from '../reports/fiscal-reports.js';
import type { ErpServices } from '../services.js';
import { actorOf, requireApi, type ErpState } from './auth-middleware.js';
import { idParam } from './domain-problems.js';

function body(ctx: Context): Record<string, unknown> {
  const b = (ctx.request as unknown as { body?: unknown }).body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new Problem(400, 'bad-request', 'Bad request', 'send a JSON object with Content-Type: application/json');
  }
  return b as Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function apiRouter(s: ErpServices): Router {
  const r = new Router({ prefix: '/api/v1' });

  r.post('/auth/login', (ctx) => {
    const b = body(ctx);
    const res = s.users.login(String(b.username ?? ''), String(b.password ?? ''));
    if (!res) throw new Problem(401, 'bad-credentials', 'Wrong user name or password', 'check the user name and password');
    ctx.body = { token: res.token, expires_at: res.expires_at, user: res.user };
  });
  r.post('/auth/logout', (ctx) => {
    const t = (ctx.state as ErpState).token;
    if (t) s.users.logout(t);
    ctx.status = 204;
  });
  r.get('/auth/me', requireApi('patients:read'), (ctx) => { ctx.body = (ctx.state as ErpState).user; });

  r.get('/patients', requireApi('patients:read'), (ctx) => { ctx.body = s.patients.list(str(ctx.query.q) ?? '', pageQuery(ctx.query)); });
  r.post('/patients', requireApi('patients:write'), (ctx) => {
    ctx.status = 201;
    ctx.body = s.patients.create(body(ctx), actorOf(ctx));
  });
  r.get('/patients/:id', requireApi('patients:read'), (ctx) => { ctx.body = s.patients.get(idParam(ctx)); });
  r.put('/patients/:id', requireApi('patients:write'), (ctx) => { ctx.body = s.patients.update(idParam(ctx), body(ctx), actorOf(ctx)); });
  r.get('/patients/:id/prescriptions', requireApi('patients:read'), (ctx) => { ctx.body = { items: s.prescriptions.forPatient(idParam(ctx)) }; });
  r.post('/patients/:id/prescriptions', requireApi('patients:write'), (ctx) => {
    const id = idParam(ctx);
    s.patients.get(id);
    ctx.status = 201;
    ctx.body = s.prescriptions.create(id, body(ctx), actorOf(ctx));
  });
  r.get('/prescriptions/:id', requireApi('patients:read'), (ctx) => { ctx.body = s.prescriptions.get(idParam(ctx)); });

  r.get('/lenses', requireApi('catalog:read'), (ctx) => {
    ctx.body = s.lenses.list({ q: str(ctx.query.q), lens_type: str(ctx.query.lens_type) }, pageQuery(ctx.query));
  });
  r.post('/lenses', requireApi('catalog:write'), (ctx) => {
    ctx.status = 201;
    ctx.body = s.lenses.create(body(ctx), actorOf(ctx));
  });
  r.get('/lenses/:id', requireApi('catalog:read'), (ctx) => { ctx.body = s.lenses.get(idParam(ctx)); });
  r.put('/lenses/:id', requireApi('catalog:write'), (ctx) => { ctx.body = s.lenses.update(idParam(ctx), body(ctx), actorOf(ctx)); });
  r.get('/products', requireApi('catalog:read'), (ctx) => {
    ctx.body = s.products.list({ q: str(ctx.query.q), kind: str(ctx.query.kind), supplier: str(ctx.query.supplier) }, pageQuery(ctx.query));
  });
  r.post('/products', requireApi('catalog:write'), (ctx) => {
    ctx.status = 201;
    ctx.body = s.products.create(body(ctx), actorOf(ctx));
  });
  r.get('/products/:id', requireApi('catalog:read'), (ctx) => { ctx.body = s.products.get(idParam(ctx)); });
  r.put('/products/:id', requireApi('catalog:write'), (ctx) => { ctx.body = s.products.update(idParam(ctx), body(ctx), actorOf(ctx)); });

  r.get('/lab-orders', requireApi('patients:read'), (ctx) => {
    const pid = Number(ctx.query.patient_id);
    ctx.body = s.labOrders.list({ q: str(ctx.query.q), state: str(ctx.query.state), patient_id: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined }, pageQuery(ctx.query));
  });
  r.post('/lab-orders', requireApi('orders:write'), (ctx) => {
    ctx.status = 201;
    ctx.body = s.labOrders.create(body(ctx), actorOf(ctx));
  });
  r.get('/lab-orders/:id', requireApi('patients:read'), (ctx) => {
    const o = s.labOrders.get(idParam(ctx));
    ctx.body = { ...o, transitions: s.labOrders.transitions(o.id), payments: s.paymentsForOrder(o.number) };
  });
  r.post('/lab-orders/:id/transitions', requireApi('orders:write'), (ctx) => {
    const b = body(ctx);
    new FieldErrors().onlyKnown(b, ['to', 'reason']).throwIfAny();
    const u = (ctx.state as ErpState).user;
    if (b.to === 'cancelled' && u && !can(u.role, 'orders:cancel')) throw new Problem(403, 'forbidden', 'Forbidden', `the role ${u.role} may not cancel lab orders`);
    ctx.body = s.labOrders.transition(idParam(ctx), b.to, b.reason, actorOf(ctx));
  });
  r.get('/lab-orders/:id/dcs', requireApi('patients:read'), (ctx) => {
    const o = s.labOrders.get(idParam(ctx));
    ctx.type = 'text/plain; charset=us-ascii';
    ctx.set('Content-Disposition', `attachment; filename="${o.number}.dcs"`);
    ctx.body = toDcs(o, s.prescriptions.get(o.prescription_id), { od: s.lenses.get(o.lens_od_id), os: s.lenses.get(o.lens_os_id) });
  });

  r.get('/import/profiles', requireApi('import:run'), (ctx) => { ctx.body = { items: s.profiles.list() }; });
  r.post('/import/profiles', requireApi('import:run'), (ctx) => {
    ctx.status = 201;
    ctx.body = s.profiles.create(body(ctx), actorOf(ctx));
  });
  r.get('/import/profiles/:id', requireApi('import:run'), (ctx) => { ctx.body = s.profiles.get(idParam(ctx)); });
  r.post('/import/uploads', requireApi('import:run'), async (ctx) => {
    // The file is the raw body; a form or multipart body would be stored as the file itself
    // (boundaries and all) or, read as a form, arrive empty.
    if (ctx.is('multipart', 'urlencoded', 'json')) {
      throw new Problem(415, 'unsupported-media-type', 'Send the file as the request body',
        `the upload came as ${ctx.request.type}; send the file's bytes as the whole request body with Content-Type: application/octet-stream (or text/csv) ` +
        `and its name in ?filename=, not as a form field or a multipart form: curl --data-binary @prices.csv -H 'Content-Type: application/octet-stream' '<hub>/api/v1/import/uploads?filename=prices.csv'`);
    }
    const filename = str(ctx.query.filename) ?? '';
    ctx.status = 201;
    const u = await s.imports.saveUpload(ctx.req, filename, actorOf(ctx));
    ctx.body = { id: u.id, filename: u.filename, size: u.size };
  });
  r.get('/import/uploads/:id/preview', requireApi('import:run'), async (ctx) => {
    const errs = new FieldErrors();
    const profileId = readScaled(errs, 'profile_id', ctx.query.profile_id, ID, true);
    errs.throwIfAny();
    ctx.body = { rows: await s.imports.preview(ctx.params.id ?? '', profileId as number) };
  });
  r.post('/import/jobs', requireApi('import:run'), (ctx) => {
    const b = body(ctx);
    const errs = new FieldErrors().onlyKnown(b, ['upload_id', 'profile_id', 'start']);
    const uploadId = readText(errs, 'upload_id', b.upload_id, 64, true);
    const profileId = readScaled(errs, 'profile_id', b.profile_id, ID, true);
    if (b.start !== undefined && typeof b.start !== 'boolean') errs.add('start', 'one_of', { values: 'true, false' });
    errs.throwIfAny();
    const job = s.imports.create(uploadId as string, profileId as number, actorOf(ctx));
    if (b.start !== false) void s.imports.start(job.id);
    ctx.status = 201;
    ctx.body = s.imports.get(job.id);
  });
  r.get('/import/jobs', requireApi('import:run'), (ctx) => { ctx.body = s.imports.list(pageQuery(ctx.query)); });
  r.get('/import/jobs/:id', requireApi('import:run'), (ctx) => { ctx.body = s.imports.get(idParam(ctx)); });
  r.post('/import/jobs/:id/start', requireApi('import:run'), (ctx) => {
    const id = idParam(ctx);
    void s.imports.start(id);
    ctx.status = 202;
    ctx.body = s.imports.get(id);
  });
  r.get('/import/jobs/:id/errors', requireApi('import:run'), (ctx) => { ctx.body = s.imports.errors(idParam(ctx), pageQuery(ctx.query)); });

  const reportFilter = (ctx: Context) => readReportFilter(ctx.query);
  r.get('/reports/daily', requireApi('reports:read'), (ctx) => { ctx.body = { items: dailyReport(s.db, reportFilter(ctx)) }; });
  r.get('/reports/shifts', requireApi('reports:read'), (ctx) => { ctx.body = { items: shiftReport(s.db, reportFilter(ctx)) }; });

  r.get('/audit', requireApi('audit:read'), (ctx) => {
    const q = pageQuery(ctx.query);
    const res = s.audit.list({ entity: str(ctx.query.entity), entityId: str(ctx.query.entity_id), limit: q.per_page, offset: (q.page - 1) * q.per_page });
    ctx.body = { ...res, page: q.page, per_page: q.per_page };
  });
  r.get('/users', requireApi('users:manage'), (ctx) => { ctx.body = { items: s.users.list() }; });
  r.post('/users', requireApi('users:manage'), (ctx) => {
    ctx.status = 201;
    ctx.body = s.users.create(body(ctx));
    s.audit.record(actorOf(ctx), 'create', 'user', (ctx.body as { id: number }).id, { username: [null, body(ctx).username], role: [null, body(ctx).role] });
  });
  return r;
}
