// The JSON request body, read by @koa/bodyparser and then held to what a POS developer can be
// told plainly: UTF-8 only, an object or array at the top, no key twice in one object (JSON.parse
// keeps the last silently, so `"price":10,"price":20` would fiscalise 20), bounded nesting (the
// idempotency fingerprint walks the body recursively). Every refusal is a problem+json naming
// what was wrong; nothing downstream runs.
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import { bodyTooLarge, Problem } from './problem.js';

export interface JsonBodyOptions {
  limitKb: number;
  /** Deepest nesting of objects and arrays accepted (a receipt needs 3). */
  maxDepth?: number;
}

/** What a scan of well-formed JSON text found: its nesting depth and the first repeated key. */
export interface JsonShape {
  depth: number;
  duplicateKey: string | null;
}

/**
 * One pass over JSON text that JSON.parse already accepted (so it is well formed): nesting
 * depth, and the first key that appears twice in the same object. Iterative: no stack to
 * overflow whatever the depth.
 */
export function jsonShape(text: string): JsonShape {
  const objects: (Set<string> | null)[] = []; // null: an array level
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      objects.push(c === 0x7b ? new Set() : null);
      if (objects.length > depth) depth = objects.length;
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      objects.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = objects.at(-1) instanceof Set;
    } else if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const keys = objects.at(-1);
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return { depth, duplicateKey: key };
        keys.add(key);
        expectKey = false;
      }
    }
  }
  return { depth, duplicateKey: null };
}

const bad = (slug: string, title: string, detail: string) => new Problem(400, slug, title, detail);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The body parser's failures as problems a POS developer can act on. */
function readProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  const tooLarge = bodyTooLarge(err);
  if (tooLarge) return tooLarge;
  const e = err as { status?: number; type?: string; code?: string; message?: string; name?: string };
  if (e.type === 'encoding.unsupported' || e.status === 415) {
    return new Problem(415, 'unsupported-content-encoding', 'Unsupported Content-Encoding',
      `${e.message ?? 'unsupported content encoding'}: send the body uncompressed, or as gzip or deflate`);
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return bad('bad-content-encoding', 'Body does not match its Content-Encoding', 'the body is not valid gzip or deflate data as its Content-Encoding header says');
  }
  if (e.type === 'request.size.invalid') return bad('bad-content-length', 'Body length mismatch', 'the body is not as long as its Content-Length header says');
  if (e.type === 'request.aborted') return bad('request-aborted', 'Request aborted', 'the client closed the connection before the body was complete');
  // co-body keeps the text it failed on: quote its start so the developer sees what was sent.
  const text = typeof (err as { body?: unknown }).body === 'string' ? (err as { body: string }).body : '';
  if (e.message === 'invalid JSON, only supports object and array') {
    const start = text.trimStart();
    if (start === '' || isJson(start)) {
      return bad('invalid-json', 'Body is not a JSON object', 'the body must be a JSON object; a bare string, number, true, false or null is not a request');
    }
    return bad('invalid-json', 'Body is not JSON', `the body is not JSON (it starts with ${JSON.stringify(start.slice(0, 20))}); send a JSON object, or a form encoding with its own Content-Type`);
  }
  if (e.message?.includes('prototype property')) {
    return bad('invalid-json', 'Forbidden key in body', 'the body contains a "__proto__" or "constructor.prototype" key, which is never part of a request');
  }
  if (e.name === 'SyntaxError' || e.status === 400) {
    // A body cut short: "end of input", or a complaint about the position just past its end.
    const at = /position (\d+)/.exec(e.message ?? '');
    const short = /end of (JSON )?input/i.test(e.message ?? '') || (at !== null && Number(at[1]) >= text.length);
    const cut = short ? ` (the body ends after ${text.length} characters, before the JSON is complete)` : '';
    return bad('invalid-json', 'Body is not valid JSON', `the body is not valid JSON: ${e.message ?? 'parse error'}${cut}`);
  }
  if (e.status && e.status >= 400 && e.status < 500) return new Problem(e.status, 'bad-request', 'Bad request', e.message ?? 'the request body could not be read');
  throw err;
}

/** Parses a JSON body (POST, PUT, PATCH with a JSON content type) or refuses it with a problem. */
export function jsonBody(opts: JsonBodyOptions): Middleware {
  const maxDepth = opts.maxDepth ?? 32;
  const parser = bodyParser({
    enableTypes: ['json'], jsonLimit: `${opts.limitKb}kb`, jsonStrict: true,
    onError: (err) => { throw readProblem(err); },
  });
  const parsed = async () => undefined;
  return async (ctx: Context, next: Next) => {
    const charset = ctx.request.charset;
    if (charset && !/^utf-?8$/i.test(charset) && ctx.is('json')) {
      throw new Problem(415, 'unsupported-charset', 'Unsupported charset', `the body is declared as charset=${charset}; send it as UTF-8 (charset=utf-8 or no charset)`);
    }
    await parser(ctx, parsed);
    const raw = (ctx.request as { rawBody?: unknown }).rawBody;
    if (typeof raw === 'string' && raw.length > 0) {
      // The decoder replaces every byte sequence that is not UTF-8 with U+FFFD; it has no place
      // in fiscal text either way, and printing mojibake into the fiscal drive cannot be undone.
      const at = raw.indexOf('\uFFFD');
      if (at >= 0) throw bad('invalid-utf8', 'Body is not valid UTF-8', `the body is not valid UTF-8 (character ${at}); send JSON encoded as UTF-8`);
      const shape = jsonShape(raw);
      if (shape.duplicateKey !== null) {
        throw bad('duplicate-json-key', 'Key given twice', `the key "${shape.duplicateKey}" appears twice in one object; send each field once`);
      }
      if (shape.depth > maxDepth) throw bad('json-too-deep', 'Body nested too deeply', `the body nests objects and arrays ${shape.depth} levels deep; at most ${maxDepth} are accepted`);
    }
    await next();
  };
}
