// Domain errors to RFC 9457 problems for the API: 422 with every bad field and its allowed
// range, 404, and 409 with the transitions that are allowed.
import type { Context, Next } from 'koa';
import { Problem } from '../../../shared/http/problem.js';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';

export function toProblem(err: unknown): unknown {
  if (err instanceof ValidationError) {
    return new Problem(422, 'validation', 'Invalid input', err.message, { errors: err.errors });
  }
  if (err instanceof NotFoundError) return new Problem(404, 'not-found', 'Not found', err.message);
  if (err instanceof ConflictError) return new Problem(409, 'conflict', 'Conflict', err.message, err.extra);
  return err;
}

export async function domainProblems(_ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (e) {
    throw toProblem(e);
  }
}

/** A positive integer path parameter, or 404 (an id that cannot exist is not found). */
export function idParam(ctx: { params: Record<string, string> }, name = 'id'): number {
  const v = ctx.params[name] ?? '';
  if (!/^\d{1,12}$/.test(v)) throw new Problem(404, 'not-found', 'Not found', `no ${name} ${JSON.stringify(v)}`);
  return Number(v);
}
