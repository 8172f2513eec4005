// Lens catalog and goods lists (search, type/kind filter, paging) and the lens form.
import type { Router } from '@koa/router';
import { actorOf } from '../http/auth-middleware.js';
import { ValidationError } from '../domain/errors.js';
import { COATINGS, LENS_TYPES } from '../domain/lenses.js';
import { pageQuery } from '../domain/paging.js';
import { PRODUCT_KINDS } from '../domain/products.js';
import type { ErpServices } from '../services.js';
import { fieldMessages, formBody, pageLink, render, requirePage, type Views } from './render.js';

export function catalogPages(r: Router, s: ErpServices, views: Views): void {
  const read = requirePage(views, 'catalog:read');
  const write = requirePage(views, 'catalog:write');
  const types = LENS_TYPES.map((v) => ({ value: v, label: views.t(`type.${v}`) }));

  r.get('/lenses', read, (ctx) => {
    const page = s.lenses.list({ q: String(ctx.query.q ?? ''), lens_type: String(ctx.query.lens_type ?? '') }, pageQuery(ctx.query));
    render(views, ctx, 'lenses.njk', { page, query: ctx.query, link: pageLink, types: LENS_TYPES });
  });
  r.get('/lenses/new', write, (ctx) => render(views, ctx, 'lens-form.njk', { values: { cyl_min: '-4.00', diameter_mm: '70' }, errors: {}, types, coatings: COATINGS }));
  r.post('/lenses', write, (ctx) => {
    const b = formBody(ctx);
    try {
      s.lenses.create(b, actorOf(ctx));
      ctx.redirect('/lenses');
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      const values = { ...b, coatings: Array.isArray(b.coatings) ? b.coatings : b.coatings ? [b.coatings] : [] };
      render(views, ctx, 'lens-form.njk', { values, errors: fieldMessages(views, e), types, coatings: COATINGS });
    }
  });
  r.get('/products', read, (ctx) => {
    const page = s.products.list({ q: String(ctx.query.q ?? ''), kind: String(ctx.query.kind ?? '') }, pageQuery(ctx.query));
    render(views, ctx, 'products.njk', { page, query: ctx.query, link: pageLink, kinds: PRODUCT_KINDS });
  });
}
