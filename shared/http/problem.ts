// RFC 9457 problem details: every error a POS developer or an ERP user sees has a type, a
// title, a status, a detail in plain words and, where it applies, the bad fields.
import type { Context, Next } from 'koa';
import type { FieldError } from '../receipt.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export class Problem extends Error {
  readonly body: ProblemBody;
  readonly headers: Record<string, string>;
  constructor(status: number, slug: string, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'Problem';
    this.body = { type: `https://opticserp.example/problems/${slug}`, title, status, detail, ...extra };
    this.headers = headers;
  }
  get status(): number {
    return this.body.status;
  }
}

export function sendProblem(ctx: Context, p: Problem): void {
  ctx.status = p.status;
  for (const [k, v] of Object.entries(p.headers)) ctx.set(k, v);
  ctx.type = 'application/problem+json';
  ctx.body = p.body;
}

/**
 * Outermost middleware: Problems become problem+json; koa/bodyparser errors (bad JSON, too
 * large) become 400/413 problems; anything else is a 500 with no internals leaked.
 */
export function problemMiddleware(onUnexpected: (err: unknown, ctx: Context) => void) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        sendProblem(ctx, new Problem(404, 'not-found', 'Not found', `no route for ${ctx.method} ${ctx.path}`));
      }
    } catch (err) {
      if (err instanceof Problem) return sendProblem(ctx, err);
      const e = err as { status?: number; type?: string; message?: string; expose?: boolean };
      if (e.status === 413 || e.type === 'entity.too.large') {
        return sendProblem(ctx, new Problem(413, 'body-too-large', 'Request body too large', e.message ?? 'the request body exceeds the limit'));
      }
      if (e.status === 415) {
        return sendProblem(ctx, new Problem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json'));
      }
      if (e.status && e.status >= 400 && e.status < 500) {
        return sendProblem(ctx, new Problem(e.status, 'bad-request', 'Bad request', e.expose && e.message ? e.message : 'the request could not be read'));
      }
      onUnexpected(err, ctx);
      sendProblem(ctx, new Problem(500, 'internal', 'Internal error', 'an unexpected error happened; it has been logged'));
    }
  };
}
