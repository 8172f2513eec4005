// Mounting another Koa app (e.g. the ERP) under a path prefix without an extra dependency:
// the prefix is stripped for the inner app and restored afterwards.
import type Koa from 'koa';
import compose from 'koa-compose';

export function mountApp(prefix: string, app: Koa): Koa.Middleware {
  if (!prefix.startsWith('/') || prefix.endsWith('/')) throw new Error(`mount prefix must start and not end with /: ${prefix}`);
  const run = compose(app.middleware as Koa.Middleware[]);
  return async (ctx, next) => {
    if (ctx.path !== prefix && !ctx.path.startsWith(`${prefix}/`)) return next();
    const original = ctx.path;
    ctx.path = original.slice(prefix.length) || '/';
    try {
      await run(ctx, async () => {
        ctx.path = original;
        await next();
        ctx.path = original.slice(prefix.length) || '/';
      });
    } finally {
      ctx.path = original;
    }
  };
}
