// Lab order pages: list with state filter, the order form from a prescription, and the order
// card with its status bar, transition buttons, fiscalised payments and history.
import type { Router } from '@koa/router';
import { actorOf, type ErpState } from '../http/auth-middleware.js';
import { idParam } from '../http/domain-problems.js';
import { can } from '../auth/roles.js';
import { toDcs } from '../domain/dcs-export.js';
import { ConflictError, ValidationError } from '../domain/errors.js';
import { MAIN_PATH, ORDER_STATES, type OrderState } from '../domain/lab-order-states.js';
import { formatDiopters } from '../domain/decimal.js';
import { pageQuery } from '../domain/paging.js';
import type { ErpServices } from '../services.js';
import { fieldMessages, formBody, pageLink, render, requirePage, type Views } from './render.js';

export function orderPages(r: Router, s: ErpServices, views: Views): void {
  const read = requirePage(views, 'patients:read');
  const write = requirePage(views, 'orders:write');

  r.get('/orders', read, (ctx) => {
    const page = s.labOrders.list({ q: String(ctx.query.q ?? ''), state: String(ctx.query.state ?? '') }, pageQuery(ctx.query));
    render(views, ctx, 'orders.njk', { page, query: ctx.query, link: pageLink, states: ORDER_STATES });
  });

  const orderForm = (rxId: number, values: Record<string, unknown>, errors: Record<string, string>) => {
    const rx = s.prescriptions.get(rxId);
    const lensLabel = (l: { name: string; sph_min: number; sph_max: number; cyl_min: number; price: number }) =>
      `${l.name} (Sph ${formatDiopters(l.sph_min)}…${formatDiopters(l.sph_max)}, Cyl ≥ ${formatDiopters(l.cyl_min)})`;
    return {
      rx, patient: s.patients.get(rx.patient_id), values, errors,
      lenses: s.lenses.all().map((l) => ({ value: l.id, label: lensLabel(l) })),
      frames: s.products.frames().map((f) => ({ value: f.id, label: `${f.name} · ${f.sku}` })),
    };
  };
  r.get('/orders/new', write, (ctx) => {
    render(views, ctx, 'order-form.njk', orderForm(Number(ctx.query.prescription_id), {}, {}));
  });
  r.post('/orders', write, (ctx) => {
    const b = formBody(ctx);
    try {
      const o = s.labOrders.create(b, actorOf(ctx));
      ctx.redirect(`/orders/${o.id}`);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      render(views, ctx, 'order-form.njk', orderForm(Number(b.prescription_id), b, fieldMessages(views, e)));
    }
  });

  const showOrder = (id: number, problem?: string) => {
    const order = s.labOrders.get(id);
    const idx = MAIN_PATH.indexOf(order.state);
    const passed: OrderState[] = order.state === 'cancelled'
      ? s.labOrders.transitions(id).map((t) => t.to_state)
      : MAIN_PATH.slice(0, Math.max(0, idx));
    return {
      order, problem, passed, path_states: MAIN_PATH,
      patient: s.patients.get(order.patient_id), rx: s.prescriptions.get(order.prescription_id),
      lens_od: s.lenses.get(order.lens_od_id), lens_os: s.lenses.get(order.lens_os_id),
      frame: order.frame_id ? s.products.get(order.frame_id) : null,
      transitions: s.labOrders.transitions(id), payments: s.paymentsForOrder(order.number),
    };
  };
  r.get('/orders/:id', read, (ctx) => render(views, ctx, 'order.njk', showOrder(idParam(ctx))));
  r.post('/orders/:id/transition', write, (ctx) => {
    const id = idParam(ctx);
    const b = formBody(ctx);
    const user = (ctx.state as ErpState).user;
    try {
      if (b.to === 'cancelled' && user && !can(user.role, 'orders:cancel')) {
        ctx.status = 403;
        render(views, ctx, 'error.njk', { message: views.t('error.403') });
        return;
      }
      s.labOrders.transition(id, b.to, b.reason, actorOf(ctx));
      ctx.redirect(`/orders/${id}`);
    } catch (e) {
      let msg: string;
      if (e instanceof ValidationError) {
        ctx.status = 422;
        msg = Object.values(fieldMessages(views, e)).join('; ');
      } else if (e instanceof ConflictError) {
        ctx.status = 409;
        const allowed = (e.extra.allowed_transitions as string[] | undefined) ?? [];
        msg = views.t('error.409', { current: views.t(`state.${String(e.extra.current_state)}`), allowed: allowed.map((a) => views.t(`state.${a}`)).join(', ') || '—' });
      } else throw e;
      render(views, ctx, 'order.njk', showOrder(id, msg));
    }
  });
  r.get('/orders/:id/dcs', read, (ctx) => {
    const o = s.labOrders.get(idParam(ctx));
    ctx.type = 'text/plain; charset=us-ascii';
    ctx.set('Content-Disposition', `attachment; filename="${o.number}.dcs"`);
    ctx.body = toDcs(o, s.prescriptions.get(o.prescription_id), { od: s.lenses.get(o.lens_od_id), os: s.lenses.get(o.lens_os_id) });
  });
}
