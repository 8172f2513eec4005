// Sign-in and sign-out pages: the session cookie is HttpOnly, SameSite=Strict, and Secure when
// the hub is reached over HTTPS.
import type { Router } from '@koa/router';
import type { ErpServices } from '../services.js';
import { SESSION_COOKIE, type ErpState } from '../http/auth-middleware.js';
import { formBody, render, type Views } from './render.js';

function safeNext(v: unknown): string {
  return typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') ? v : '/patients';
}

export function sessionPages(r: Router, s: ErpServices, views: Views): void {
  r.get('/', (ctx) => ctx.redirect((ctx.state as ErpState).user ? '/patients' : '/login'));
  r.get('/login', (ctx) => render(views, ctx, 'login.njk', { next: safeNext(ctx.query.next) }));
  r.post('/login', (ctx) => {
    const b = formBody(ctx);
    const res = s.users.login(String(b.username ?? ''), String(b.password ?? ''));
    if (!res) {
      ctx.status = 401;
      render(views, ctx, 'login.njk', { failed: true, username: b.username, next: safeNext(b.next) });
      return;
    }
    ctx.cookies.set(SESSION_COOKIE, res.token, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, expires: new Date(res.expires_at), overwrite: true });
    ctx.redirect(safeNext(b.next));
  });
  r.post('/logout', (ctx) => {
    const t = (ctx.state as ErpState).token;
    if (t) s.users.logout(t);
    ctx.cookies.set(SESSION_COOKIE, '', { expires: new Date(0) });
    ctx.redirect('/login');
  });
}
