// Patient list/search, patient form, patient card with prescriptions and orders, and the
// prescription form with inline validation messages.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { actorOf } from '../http/auth-middleware.js';
import { idParam } from '../http/domain-problems.js';
import { ValidationError } from '../domain/errors.js';
import { pageQuery } from '../domain/paging.js';
import { PRISM_BASES } from '../domain/prescription-rules.js';
import type { ErpServices } from '../services.js';
import { fieldMessages, formBody, pageLink, render, requirePage, type Views } from './render.js';

export function patientPages(r: Router, s: ErpServices, views: Views): void {
  const read = requirePage(views, 'patients:read');
  const write = requirePage(views, 'patients:write');
  const today = () => s.now().toISOString().slice(0, 10);

  r.get('/patients', read, (ctx) => {
    render(views, ctx, 'patients.njk', { page: s.patients.list(String(ctx.query.q ?? ''), pageQuery(ctx.query)), query: ctx.query, link: pageLink });
  });
  const patientForm = (ctx: Context, heading: string, action: string, values: Record<string, unknown>, errors: Record<string, string> = {}) =>
    render(views, ctx, 'patient-form.njk', { heading, action, values, errors });
  r.get('/patients/new', write, (ctx) => patientForm(ctx, views.t('patients.new'), '/patients', { consent_at: today() }));
  r.post('/patients', write, (ctx) => {
    const b = formBody(ctx);
    try {
      const p = s.patients.create(b, actorOf(ctx));
      ctx.redirect(`/patients/${p.id}`);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      patientForm(ctx, views.t('patients.new'), '/patients', b, fieldMessages(views, e));
    }
  });
  r.get('/patients/:id', read, (ctx) => {
    const patient = s.patients.get(idParam(ctx));
    const transposed = typeof ctx.query.transposed === 'string' ? ctx.query.transposed.split(',').map((e) => e.toUpperCase()).join(', ') : '';
    render(views, ctx, 'patient.njk', {
      patient, transposed, prescriptions: s.prescriptions.forPatient(patient.id),
      orders: s.labOrders.list({ patient_id: patient.id }, { page: 1, per_page: 100 }).items,
    });
  });
  r.get('/patients/:id/edit', write, (ctx) => {
    const p = s.patients.get(idParam(ctx));
    patientForm(ctx, views.t('patients.edit'), `/patients/${p.id}`, p as unknown as Record<string, unknown>);
  });
  r.post('/patients/:id', write, (ctx) => {
    const id = idParam(ctx);
    const b = formBody(ctx);
    try {
      s.patients.update(id, b, actorOf(ctx));
      ctx.redirect(`/patients/${id}`);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      patientForm(ctx, views.t('patients.edit'), `/patients/${id}`, b, fieldMessages(views, e));
    }
  });

  const bases = PRISM_BASES.map((b) => ({ value: b, label: views.t(`base.${b}`) }));
  r.get('/patients/:id/prescriptions/new', write, (ctx) => {
    const patient = s.patients.get(idParam(ctx));
    render(views, ctx, 'prescription-form.njk', { patient, values: { rx_date: today() }, errors: {}, bases });
  });
  r.post('/patients/:id/prescriptions', write, (ctx) => {
    const patient = s.patients.get(idParam(ctx));
    const b = formBody(ctx);
    try {
      const res = s.prescriptions.create(patient.id, b, actorOf(ctx));
      ctx.redirect(`/patients/${patient.id}${res.transposed.length ? `?transposed=${res.transposed.join(',')}` : ''}`);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      render(views, ctx, 'prescription-form.njk', { patient, values: b, errors: fieldMessages(views, e), bases });
    }
  });
}
