// Who is calling: a bearer token (API clients) or the session cookie (pages). Both are the
// same server-side session; the cookie is HttpOnly and SameSite=Strict, which is also what
// keeps other sites from posting our forms.
import type { Context, Next } from 'koa';
import { Problem } from '../../../shared/http/problem.js';
import type { Actor } from '../audit/audit.js';
import { can, type Permission } from '../auth/roles.js';
import type { User, Users } from '../auth/users.js';

export const SESSION_COOKIE = 'erp_session';

export interface ErpState {
  user?: User;
  token?: string;
}

export function tokenOf(ctx: Context): string | null {
  const h = ctx.get('authorization');
  if (h.toLowerCase().startsWith('bearer ')) return h.slice(7).trim() || null;
  return ctx.cookies.get(SESSION_COOKIE) ?? null;
}

export function authenticate(users: Users) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const token = tokenOf(ctx);
    if (token) {
      const user = users.bySession(token);
      if (user) {
        (ctx.state as ErpState).user = user;
        (ctx.state as ErpState).token = token;
      }
    }
    await next();
  };
}

export function actorOf(ctx: Context): Actor {
  const u = (ctx.state as ErpState).user;
  if (!u) throw new Problem(401, 'unauthenticated', 'Not signed in', 'sign in first');
  return { id: u.id, username: u.username, role: u.role };
}

/** API guard: 401 without a session, 403 when the role lacks the permission. */
export function requireApi(permission: Permission) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const u = (ctx.state as ErpState).user;
    if (!u) throw new Problem(401, 'unauthenticated', 'Not signed in', 'send Authorization: Bearer <token> from POST /api/v1/auth/login', {}, { 'WWW-Authenticate': 'Bearer' });
    if (!can(u.role, permission)) throw new Problem(403, 'forbidden', 'Forbidden', `the role ${u.role} may not ${permission}`);
    await next();
  };
}
