// Idempotency-Key handling per the IETF draft (draft-ietf-httpapi-idempotency-key-header):
// the key names one logical request; its fingerprint (sha256 of the canonical JSON body)
// tells a retry (same body) from a misuse (different body, 422); a retry while the first is
// still being processed gets 409. The stored response lives durably with the receipt.
import { createHash } from 'node:crypto';
import { Problem } from '../../shared/http/problem.js';

/** 1..255 printable ASCII; a quoted sf-string ("...") as the draft writes it is unquoted first. */
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export function parseIdempotencyKey(header: string | string[] | undefined): string {
  if (header === undefined || header === '') {
    throw new Problem(400, 'idempotency-key-missing', 'Idempotency-Key required',
      'POST /v1/kkt/receipt needs an Idempotency-Key header (a UUID per sale) so a retry never prints twice');
  }
  let key = Array.isArray(header) ? (header.length === 1 ? header[0] ?? '' : '') : header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (!KEY_RE.test(key)) {
    throw new Problem(400, 'idempotency-key-malformed', 'Malformed Idempotency-Key',
      'the Idempotency-Key must be one value of 1 to 255 printable ASCII characters without spaces (a UUID is typical)');
  }
  return key;
}

/** JSON with object keys sorted at every level, so key order does not change the fingerprint. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.keys(v as Record<string, unknown>).sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** Keys whose first request is still being processed in this process. */
export class InFlightKeys {
  private readonly keys = new Set<string>();

  /** Claims the key or throws 409 if another request holds it. Synchronous on purpose. */
  claim(key: string): () => void {
    if (this.keys.has(key)) {
      throw new Problem(409, 'idempotency-key-in-flight', 'Request in progress',
        'a request with this Idempotency-Key is still being processed; retry after it finishes', {}, { 'Retry-After': '1' });
    }
    this.keys.add(key);
    return () => this.keys.delete(key);
  }
}

export function keyReusedProblem(): Problem {
  return new Problem(422, 'idempotency-key-reused', 'Idempotency-Key reused',
    'this Idempotency-Key was already used for a different request body; use a new key for a new sale');
}
