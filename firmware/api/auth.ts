// POS terminals authenticate with a bearer token from the box config. Tokens are compared
// by their sha256 in constant time, so response timing does not leak a token's prefix.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { Problem } from '../../shared/http/problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerAuth(tokens: readonly string[]) {
  const known = tokens.map(digest);
  return async (ctx: Context, next: Next): Promise<void> => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
    const given = m?.[1] ? digest(m[1]) : null;
    if (!given || !known.some((k) => timingSafeEqual(k, given))) {
      throw new Problem(401, 'unauthorized', 'Unauthorized',
        m ? 'the bearer token is not one this box knows' : 'send Authorization: Bearer <POS token>',
        {}, { 'WWW-Authenticate': 'Bearer realm="opticserp-box"' });
    }
    await next();
  };
}
