// Server-rendered pages: nunjucks with autoescape on (the template library escapes every
// value; nothing is escaped by hand), the user's language catalog, and helpers shared by all
// page routes.
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';
import nunjucks from 'nunjucks';
import { can, type Permission } from '../auth/roles.js';
import { formatDiopters, formatIndex, formatTenthsMm } from '../domain/decimal.js';
import type { ValidationError } from '../domain/errors.js';
import { rawText, translator, type Translate } from '../i18n/index.js';
import { formatRubles } from '../../../shared/money.js';
import type { ErpState } from '../http/auth-middleware.js';

const VIEWS = fileURLToPath(new URL('../views/', import.meta.url));

/**
 * "2026-11-26 08:51" in `timeZone` for an instant (ISO text with Z or an offset, as the ERP
 * stores times); anything else (a date, a local date-time the fiscal drive wrote) as written,
 * because shifting it would move a time that is already local.
 */
export function localDateTime(timeZone: string): (v: string | null | undefined) => string {
  // sv-SE writes dates as YYYY-MM-DD and a 24-hour clock: the order the pages always used.
  const fmt = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return (v) => {
    if (!v) return '';
    const instant = /T.*(Z|[+-]\d\d:?\d\d)$/.test(v) ? Date.parse(v) : NaN;
    return Number.isNaN(instant) ? v.replace('T', ' ').slice(0, 16) : fmt.format(instant);
  };
}

export function createViews(lang = 'ru', timeZone = 'Europe/Moscow'): { env: nunjucks.Environment; t: Translate; raw: (key: string) => string } {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS, { noCache: false }), { autoescape: true, throwOnUndefined: false });
  const t = translator(lang);
  env.addGlobal('t', t);
  env.addGlobal('lang', lang);
  env.addFilter('dpt', (v: number | null | undefined) => formatDiopters(v));
  env.addFilter('mm', (v: number | null | undefined) => formatTenthsMm(v));
  env.addFilter('rub', (v: number | null | undefined) => (v === null || v === undefined ? '' : formatRubles(v)));
  env.addFilter('index', (v: number) => formatIndex(v));
  // Row errors of an import say their reason in the page's language; field names and the
  // separator are catalog words too.
  env.addGlobal('rowerr', (e: { code: string; params: Record<string, string>; reason: string }) => {
    const key = `rowerr.${e.code}`;
    const params = { ...e.params };
    if (params.field) params.field = t(`target.${params.field}`);
    if (params.separator) params.separator = t(`sep.${params.separator}`);
    const msg = t(key, params);
    return msg === key ? e.reason : msg;
  });
  env.addFilter('dt', localDateTime(timeZone));
  return { env, t, raw: (key: string) => rawText(lang, key) };
}

export type Views = ReturnType<typeof createViews>;

export function render(views: Views, ctx: Context, template: string, data: Record<string, unknown> = {}): void {
  const user = (ctx.state as ErpState).user;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = views.env.render(template, {
    ...data, user, path: ctx.path,
    can: (p: Permission) => !!user && can(user.role, p),
  });
}

/** Page guard: to the login page without a session, a 403 page without the permission. */
export function requirePage(views: Views, permission: Permission) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const user = (ctx.state as ErpState).user;
    if (!user) {
      ctx.redirect(`/login?next=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    if (!can(user.role, permission)) {
      ctx.status = 403;
      render(views, ctx, 'error.njk', { message: views.t('error.403') });
      return;
    }
    await next();
  };
}

/** Field -> message in the page's language, for inline display under each input. */
export function fieldMessages(views: Views, err: ValidationError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of err.errors) {
    if (out[e.field]) continue;
    const key = `err.${e.code}`;
    const msg = views.t(key, e.params);
    out[e.field] = msg === key ? e.message : msg;
  }
  return out;
}

export function formBody(ctx: Context): Record<string, unknown> {
  const b = (ctx.request as unknown as { body?: unknown }).body;
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

/** Query string for paging links that keeps the current filters. */
export function pageLink(query: Record<string, unknown>, page: number): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string' && v !== '' && k !== 'page') p.set(k, v);
  p.set('page', String(page));
  return `?${p.toString()}`;
}
