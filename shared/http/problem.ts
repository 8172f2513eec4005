// RFC 9457 problem details: every error a POS developer or an ERP user sees has a type, a
// title, a status, a detail in plain words and, where it applies, the bad fields.
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
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

function emptyProblem(ctx: Context): Problem {
  const where = `${ctx.method} ${ctx.path}`;
  if (ctx.status === 404) return new Problem(404, 'not-found', 'Not found', `no route for ${where}`);
  if (ctx.status === 405) {
    return new Problem(405, 'method-not-allowed', 'Method not allowed', `${where} is not supported; this path accepts ${ctx.response.get('Allow') || 'other methods'}`);
  }
  if (ctx.status === 501) return new Problem(501, 'not-implemented', 'Method not implemented', `the method ${ctx.method} is not implemented by this server`);
  return new Problem(ctx.status, 'error', STATUS_CODES[ctx.status] ?? 'Error', `${where} failed with status ${ctx.status}`);
}

/**
 * Requests Node's HTTP parser refuses before any middleware runs (headers too large, a
 * malformed request line) get a problem+json answer too, not a bare status line.
 */
export function problemClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify(new Problem(status, tooLarge ? 'headers-too-large' : 'malformed-request',
      tooLarge ? 'Request headers too large' : 'Malformed HTTP request',
      tooLarge ? 'the request headers exceed the server limit (16 KiB); send fewer or shorter headers' : 'the request is not valid HTTP/1.1').body);
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}

/** A body over its parser's limit (raw-body's 413), or null for any other error. */
export function bodyTooLarge(err: unknown): Problem | null {
  const e = err as { status?: number; type?: string; message?: string };
  return e.status === 413 || e.type === 'entity.too.large'
    ? new Problem(413, 'body-too-large', 'Request body too large', e.message ?? 'the request body exceeds the limit')
    : null;
}

/**
 * Outermost middleware: Problems become problem+json; koa/bodyparser errors (bad JSON, too
 * large) become 400/413 problems; anything else is a 500 with no internals leaked.
 */
export function problemMiddleware(onUnexpected: (err: unknown, ctx: Context) => void) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      // A status set with no body (no route, a method the route lacks) would go out as Koa's
      // text/plain status line; every error leaves as problem+json, keeping headers like Allow.
      if (ctx.status >= 400 && (ctx.body === undefined || ctx.body === null)) sendProblem(ctx, emptyProblem(ctx));
    } catch (err) {
      if (err instanceof Problem) return sendProblem(ctx, err);
      const tooLarge = bodyTooLarge(err);
      if (tooLarge) return sendProblem(ctx, tooLarge);
      const e = err as { status?: number; message?: string; expose?: boolean };
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
