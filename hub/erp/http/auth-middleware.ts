// Who is calling: a bearer token (API clients) or the session cookie (pages). Both are the
// same server-side session; the cookie is HttpOnly and SameSite=Strict, and a state-changing
// request that does not carry a bearer token must also come from our own pages (Origin).
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

function bearerOf(ctx: Context): string | null {
  const h = ctx.get('authorization');
  return h.toLowerCase().startsWith('bearer ') ? h.slice(7).trim() || null : null;
}

export function tokenOf(ctx: Context): string | null {
  return bearerOf(ctx) ?? ctx.cookies.get(SESSION_COOKIE) ?? null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The other site a state-changing browser request came from, or null when it may proceed.
 * SameSite=Strict alone leaves older browsers and same-site subdomains; the browser sets
 * Origin (or, failing that, Referer) itself, so a page elsewhere cannot pass for ours. Bearer
 * calls are exempt: a browser never adds that header cross-site without our CORS consent,
 * which we never give. No Origin and no Referer is a non-browser client (curl) and proceeds.
 * Only the host is compared: behind a TLS-terminating proxy we see http while the browser
 * says https, and the host is what another site cannot fake.
 */
export function foreignOrigin(ctx: Context): string | null {
  if (SAFE_METHODS.has(ctx.method) || bearerOf(ctx)) return null;
  const claimed = ctx.get('origin') || ctx.get('referer');
  if (!claimed) return null;
  try {
    const from = new URL(claimed);
    if (ctx.host && from.host === new URL(`${from.protocol}//${ctx.host}`).host) return null;
    return from.origin;
  } catch {
    return claimed.slice(0, 100); // "null" (sandboxed frame, file:) or garbage
  }
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
