// Hostile and sloppy requests against the box's LAN API: each gets a problem+json that says
// what to change, nothing is stored and nothing is printed.
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, TEST_TOKEN, type TestBox } from '../helpers/box-server.js';

let t: TestBox;
beforeEach(async () => { t = await startTestBox(); });
afterEach(async () => { await t.stop(); });

interface Raw { status: number; type: string; body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }

/** A request with exactly these bytes and headers (fetch would fix up some of them). */
function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Raw> {
  const u = new URL(path, t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text ? JSON.parse(text) as Record<string, unknown> : {}, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const postHeaders = (extra: Record<string, string> = {}) => ({ ...auth, 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...extra });
const sale = JSON.stringify(saleBody());

function expectNothingStored(): void {
  expect(t.box.buffer.status().current_queued).toBe(0);
  expect(Object.values(t.box.buffer.status().by_status).every((n) => n === 0)).toBe(true);
}

describe('hostile requests to the LAN API', () => {
  it('an upper-case /V1/ path is neither a way around the token nor a route', async () => {
    for (const [method, path] of [['POST', '/V1/kkt/receipt'], ['GET', '/V1/kkt/buffer/status'], ['POST', '/V1/kkt/report/x'], ['GET', '/v1/KKT/buffer/status']] as const) {
      const r = await raw(method, path, { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, method === 'POST' ? sale : undefined);
      expect(r.status, path).toBe(401);
      expect(r.type).toContain('application/problem+json');
      const withToken = await raw(method, path, postHeaders(), method === 'POST' ? sale : undefined);
      expect(withToken.status, path).toBe(404);
    }
    expectNothingStored();
  });

  it('a line or total beyond what a receipt can carry is refused before anything is stored or printed', async () => {
    const body = saleBody({ items: [{ name: 'Lens', qty: 10, price: '9999999999.99' }], payments: Array.from({ length: 10 }, () => ({ method: 'cash', amount: '9999999999.99' })) });
    const r = await t.post(body);
    expect(r.status).toBe(422);
    const p = await r.json() as { errors: { field: string; message: string }[] };
    expect(p.errors).toContainEqual({ field: 'items[0]', message: expect.stringMatching(/above the largest amount/) });
    // One amount past the largest a field can hold says what the largest is.
    const big = await t.post(saleBody({ payments: [{ method: 'cash', amount: '99999999999.90' }] }));
    expect(big.status).toBe(422);
    expect((await big.json() as { errors: { field: string; message: string }[] }).errors)
      .toContainEqual({ field: 'payments[0].amount', message: expect.stringMatching(/up to 9999999999\.99$/) });
    expectNothingStored();
  });

  it('bodies that are not clean UTF-8 JSON objects get a 400 or 415 that says what is wrong', async () => {
    const cases: [string, Record<string, string>, Buffer | string, number, RegExp][] = [
      // C3 28 FF FE: not UTF-8 (latin1 writes each of these code points as that one byte).
      ['invalid UTF-8', {}, Buffer.from(sale.replace('"Frame', '"\u00c3(\u00ff\u00feFrame'), 'latin1'), 400, /not valid UTF-8/],
      ['a charset other than UTF-8', { 'content-type': 'application/json; charset=windows-1251' }, sale, 415, /charset=windows-1251.*UTF-8/],
      ['a key given twice', {}, '{"pos_id":"POS-1","type":"sale","items":[{"name":"F","qty":1,"price":10,"price":20}],"payments":[{"method":"cash","amount":20}]}', 400, /"price" appears twice/],
      ['deep nesting', {}, `{"pos_id":"P","x":${'['.repeat(5000)}${']'.repeat(5000)}}`, 400, /5001 levels deep; at most 32/],
      ['JSON cut short', {}, '{"pos_id":', 400, /not valid JSON.*ends after 10 characters/],
      ['a wrong character', {}, '{"pos_id":x}', 400, /not valid JSON: Unexpected token 'x'/],
      ['a form body sent as JSON', {}, 'pos_id=POS-1&type=sale', 400, /not JSON \(it starts with "pos_id=POS-1&type=sa"\)/],
      ['a form body starting like a JSON literal', {}, 'total=5&name=Ivan', 400, /not JSON \(it starts with "total=5&name=Ivan"\)/],
      ['an array cut short', {}, '{"pos_id":"P","items":[1,2', 400, /not valid JSON.*ends after 26 characters/],
      ['a bare string', {}, '"hi"', 400, /must be a JSON object/],
      ['a __proto__ key', {}, '{"__proto__":{"x":1}}', 400, /__proto__/],
      ['gzip that is not gzip', { 'content-encoding': 'gzip' }, sale, 400, /not valid gzip/],
      ['an unknown Content-Encoding', { 'content-encoding': 'zzz' }, sale, 415, /zzz.*gzip or deflate/],
    ];
    for (const [what, headers, body, status, detail] of cases) {
      const r = await raw('POST', '/v1/kkt/receipt', postHeaders(headers), body);
      expect(r.status, what).toBe(status);
      expect(r.type, what).toContain('application/problem+json');
      expect(r.body.detail, what).toMatch(detail);
    }
    // Real gzip of a valid sale is fine.
    const ok = await raw('POST', '/v1/kkt/receipt', postHeaders({ 'content-encoding': 'gzip' }), gzipSync(sale));
    expect(ok.status).toBe(201);
    expect(t.box.buffer.status().current_queued).toBe(1);
  });

  it('no body at all, or an empty one, is "body required", not a content-type complaint', async () => {
    for (const length of [{}, { 'content-length': '0' }] as Record<string, string>[]) {
      const r = await raw('POST', '/v1/kkt/receipt', postHeaders(length));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ title: 'Request body required' });
    }
    expectNothingStored();
  });

  it('control characters in fiscal text are refused by field', async () => {
    const r = await t.post(saleBody({ pos_id: 'POS\u0007', items: [{ name: 'A\u0000hidden\u001b[2J', qty: 1, price: 10 }], payments: [{ method: 'cash', amount: 10 }] }));
    expect(r.status).toBe(422);
    const fields = ((await r.json()) as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['pos_id', 'items[0].name']));
    expectNothingStored();
  });

  it('a method a path lacks, and a method nobody implements, answer problem+json with Allow kept', async () => {
    const r = await raw('DELETE', '/v1/kkt/receipt', auth);
    expect(r.status).toBe(405);
    expect(r.type).toContain('application/problem+json');
    expect(r.headers.allow).toContain('POST');
    expect(r.body.detail).toMatch(/DELETE \/v1\/kkt\/receipt is not supported; this path accepts .*POST/);
    const health = await raw('POST', '/health', {});
    expect([health.status, health.type]).toEqual([405, 'application/problem+json']);
  });

  it('headers too large for the server get a 431 problem+json', async () => {
    const r = await raw('GET', '/health', { 'x-padding': 'x'.repeat(20_000) });
    expect(r.status).toBe(431);
    expect(r.type).toBe('application/problem+json');
    expect(r.body.detail).toMatch(/headers exceed/);
  });

  it('a refund naming its original in upper case is held to the same "original not synced" rule', async () => {
    const first = await t.post(saleBody());
    const id = ((await first.json()) as { receipt_id: string }).receipt_id;
    const r = await t.post(saleBody({ type: 'refund', original_receipt_id: id.toUpperCase() }));
    expect(r.status).toBe(409);
    expect(await r.json()).toMatchObject({ type: expect.stringMatching(/refund-original-not-synced/) });
    expect(t.box.buffer.status().current_queued).toBe(1);
  });
});
