// Lens catalog and goods lists (search, type/kind filter, paging), the lens form (create and
// edit) and the product edit form.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { actorOf } from '../http/auth-middleware.js';
import { idParam } from '../http/domain-problems.js';
import { ValidationError } from '../domain/errors.js';
import { COATINGS, LENS_TYPES, lensFormValues } from '../domain/lenses.js';
import { pageQuery } from '../domain/paging.js';
import { PRODUCT_KINDS, productFormValues } from '../domain/products.js';
import type { ErpServices } from '../services.js';
import { fieldMessages, formBody, pageLink, render, requirePage, type Views } from './render.js';

/** The list filtered to one record, so the user sees what was saved however long the list. */
const listOf = (path: string, q: string) => `${path}?q=${encodeURIComponent(q)}`;

export function catalogPages(r: Router, s: ErpServices, views: Views): void {
  const read = requirePage(views, 'catalog:read');
  const write = requirePage(views, 'catalog:write');
  const types = LENS_TYPES.map((v) => ({ value: v, label: views.t(`type.${v}`) }));
  const kinds = PRODUCT_KINDS.map((v) => ({ value: v, label: views.t(`kind.${v}`) }));

  r.get('/lenses', read, (ctx) => {
    const page = s.lenses.list({ q: String(ctx.query.q ?? ''), lens_type: String(ctx.query.lens_type ?? '') }, pageQuery(ctx.query));
    render(views, ctx, 'lenses.njk', { page, query: ctx.query, link: pageLink, types: LENS_TYPES });
  });

  const lensForm = (ctx: Context, heading: string, action: string, values: Record<string, unknown>, errors: Record<string, string> = {}) =>
    render(views, ctx, 'lens-form.njk', { heading, action, values, errors, types, coatings: COATINGS });
  /** A posted lens form re-rendered with its messages: the checkboxes come back as a list. */
  const lensRetry = (ctx: Context, heading: string, action: string, b: Record<string, unknown>, e: ValidationError) => {
    ctx.status = 422;
    const values = { ...b, coatings: Array.isArray(b.coatings) ? b.coatings : b.coatings ? [b.coatings] : [] };
    lensForm(ctx, heading, action, values, fieldMessages(views, e));
  };
  r.get('/lenses/new', write, (ctx) => lensForm(ctx, views.t('lenses.new'), '/lenses', { cyl_min: '-4.00', diameter_mm: '70' }));
  r.post('/lenses', write, (ctx) => {
    const b = formBody(ctx);
    try {
      s.lenses.create(b, actorOf(ctx));
      ctx.redirect('/lenses');
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      lensRetry(ctx, views.t('lenses.new'), '/lenses', b, e);
    }
  });
  r.get('/lenses/:id/edit', write, (ctx) => {
    const lens = s.lenses.get(idParam(ctx));
    lensForm(ctx, views.t('lenses.edit'), `/lenses/${lens.id}`, lensFormValues(lens));
  });
  r.post('/lenses/:id', write, (ctx) => {
    const id = idParam(ctx);
    const b = formBody(ctx);
    try {
      const lens = s.lenses.update(id, b, actorOf(ctx));
      ctx.redirect(listOf('/lenses', lens.name));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      lensRetry(ctx, views.t('lenses.edit'), `/lenses/${id}`, b, e);
    }
  });

  r.get('/products', read, (ctx) => {
    const page = s.products.list({ q: String(ctx.query.q ?? ''), kind: String(ctx.query.kind ?? '') }, pageQuery(ctx.query));
    render(views, ctx, 'products.njk', { page, query: ctx.query, link: pageLink, kinds: PRODUCT_KINDS });
  });
  // Goods are created by the API and by price-list imports; the page corrects them.
  const productForm = (ctx: Context, action: string, values: Record<string, unknown>, errors: Record<string, string> = {}) =>
    render(views, ctx, 'product-form.njk', { heading: views.t('products.edit'), action, values, errors, kinds });
  r.get('/products/:id/edit', write, (ctx) => {
    const product = s.products.get(idParam(ctx));
    productForm(ctx, `/products/${product.id}`, productFormValues(product));
  });
  r.post('/products/:id', write, (ctx) => {
    const id = idParam(ctx);
    const b = formBody(ctx);
    try {
      const product = s.products.update(id, b, actorOf(ctx));
      ctx.redirect(listOf('/products', product.sku));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      ctx.status = 422;
      productForm(ctx, `/products/${id}`, b, fieldMessages(views, e));
    }
  });
}
