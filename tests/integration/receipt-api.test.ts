import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';

let t: TestBox;
beforeEach(async () => { t = await startTestBox(); });
afterEach(async () => { await t.stop(); });

const json = async (r: Response) => (await r.json()) as Record<string, unknown>;

describe('POST /v1/kkt/receipt', () => {
  it('test_create_receipt_success: buffers the sale durably and answers 201 buffered', async () => {
    const res = await t.post(saleBody({ payments: [{ method: 'cash', amount: '1500.00' }] }));
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({ status: 'buffered', pos_id: 'POS-001', type: 'sale', total: 1000, change: 500, fiscal: null });
    expect(res.headers.get('location')).toBe(`/v1/kkt/receipt/${body.receipt_id as string}`);
    expect(res.headers.get('server-timing')).toMatch(/^box;dur=[\d.]+, printer;dur=[\d.]+$/);
    const stored = t.box.buffer.get(body.receipt_id as string);
    expect(stored).toMatchObject({ status: 'buffered', total: 100000, hlc: body.hlc });
    const view = await json(await t.get(`/v1/kkt/receipt/${body.receipt_id as string}`));
    expect(view).toMatchObject({ receipt_id: body.receipt_id, status: 'buffered', total: 1000, change: 500 });
    expect(view.items).toEqual([expect.objectContaining({ name: 'Frame Ray-Ban RB5154', qty: 1, price: 1000, sum: 1000, vat: 'vat22' })]);
  });

  it('test_idempotency_key_required: 400 problem without the key or with a malformed one; nothing stored', async () => {
    for (const key of [null, '', 'has space', 'x'.repeat(256), 'caf\u00e9', 'a\tb']) {
      const res = await t.post(saleBody(), { key });
      expect(res.status, String(key)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await json(res)).title).toMatch(/Idempotency-Key/);
    }
    expect(t.box.buffer.status().current_queued).toBe(0);
  });

  it('test_duplicate_idempotency_key: same key + same body replays the original response', async () => {
    const key = randomUUID();
    const first = await t.post(saleBody(), { key });
    const firstBody = await json(first);
    // Same content with keys in another order is the same request.
    const reordered = JSON.stringify({ payments: [{ amount: 1000, method: 'card' }], items: saleBody().items, type: 'sale', pos_id: 'POS-001' });
    const again = await t.post(null, { key, raw: reordered });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(again)).toEqual(firstBody);
    expect(t.box.buffer.status().current_queued).toBe(1);
  });

  it('same key + different body is 422 and changes nothing', async () => {
    const key = randomUUID();
    await t.post(saleBody(), { key });
    const res = await t.post(saleBody({ pos_id: 'POS-002' }), { key });
    expect(res.status).toBe(422);
    expect((await json(res)).type).toMatch(/idempotency-key-reused/);
    expect(t.box.buffer.status().current_queued).toBe(1);
  });

  it('50 concurrent posts with one key create one receipt; the rest replay or get 409', async () => {
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 50 }, () => t.post(saleBody(), { key })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    const ids = new Set<unknown>();
    for (const r of responses) if (r.status === 201) ids.add((await json(r)).receipt_id);
    expect(ids.size).toBe(1);
    expect(t.box.buffer.status().current_queued).toBe(1);
  });

  it('a retry while the first request is still in flight gets 409', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    await t.stop();
    t = await startTestBox({}, { fiscaliser: { fiscalise: async () => { await gate; return { status: 'buffered', reason: 'slow printer' }; } } });
    const key = randomUUID();
    const first = t.post(saleBody(), { key });
    await expect.poll(() => t.box.buffer.status().current_queued).toBe(1);
    const second = await t.post(saleBody(), { key });
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('1');
    release();
    expect((await first).status).toBe(201);
    const third = await t.post(saleBody(), { key });
    expect(third.status).toBe(201);
    expect(third.headers.get('idempotent-replayed')).toBe('true');
  });

  it('test_invalid_receipt_data: 422 naming every bad field, unknown fields by name; nothing stored', async () => {
    const res = await t.post({ pos_id: '', type: 'gift', items: [{ name: 'x', qty: 0, price: 1.234, colour: 'red' }], payments: [], extra: 1 });
    expect(res.status).toBe(422);
    const body = await json(res);
    const fields = (body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['extra', 'items[0].colour', 'items[0].price', 'items[0].qty', 'payments', 'pos_id', 'type'].sort());
    const missing = await json(await t.post({ pos_id: 'P', type: 'sale', items: [{ name: 'x', qty: 1 }], payments: [{ method: 'cash', amount: null }] }));
    expect(missing.errors).toEqual([
      { field: 'items[0].price', message: 'is required' },
      { field: 'payments[0].amount', message: 'must be an amount in rubles (a JSON number or a decimal string)' },
    ]);
    expect(t.box.buffer.status().current_queued).toBe(0);
  });

  it('rejects payments that do not cover the total, card over the total, and an empty receipt', async () => {
    const cases = [
      saleBody({ payments: [{ method: 'cash', amount: 999.99 }] }),
      saleBody({ payments: [{ method: 'card', amount: 1000.01 }] }),
      saleBody({ items: [] }),
      saleBody({ items: [{ name: 'Free cloth', qty: 1, price: 0 }], payments: [{ method: 'cash', amount: 0 }] }),
    ];
    for (const c of cases) {
      const res = await t.post(c);
      expect(res.status).toBe(422);
      expect((await json(res)).errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringMatching(/^(payments|items)$/) })]));
    }
    expect(t.box.buffer.status().current_queued).toBe(0);
  });

  it('malformed JSON is 400, a wrong content type 415, an oversized body 413; all problem+json', async () => {
    const bad = await t.post(null, { raw: '{"pos_id": "POS-001",' });
    expect(bad.status).toBe(400);
    const form = await t.post(null, { raw: 'pos_id=1', contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const huge = await t.post(saleBody({ order_id: 'x'.repeat(70 * 1024) }));
    expect(huge.status).toBe(413);
    for (const r of [bad, form, huge]) expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(t.box.buffer.status().current_queued).toBe(0);
  });

  it('applies the configured default VAT and keeps money exact', async () => {
    const res = await t.post(saleBody({
      items: [{ name: 'Lens', qty: '2.5', price: '0.10' }, { name: 'Case', qty: 3, price: 0.1, vat: 'vat10' }],
      payments: [{ method: 'cash', amount: 0.55 }],
    }));
    expect(res.status).toBe(201);
    const id = (await json(res)).receipt_id as string;
    const r = t.box.buffer.get(id);
    expect(r?.receipt.items.map((i) => [i.sum, i.vat])).toEqual([[25, 'vat22'], [30, 'vat10']]);
    expect(r?.receipt.total).toBe(55);
  });
});

describe('GET /v1/kkt/receipt/:id and auth', () => {
  it('404 problem for an unknown or malformed id', async () => {
    expect((await t.get(`/v1/kkt/receipt/${randomUUID()}`)).status).toBe(404);
    expect((await t.get('/v1/kkt/receipt/not-a-uuid')).status).toBe(404);
  });

  it('401 problem without a token or with a wrong one; /health stays open', async () => {
    const none = await t.post(saleBody(), { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await t.post(saleBody(), { token: 'wrong-token-xxxxxxxxxxxx' })).status).toBe(401);
    expect((await t.get('/v1/kkt/buffer/status', null)).status).toBe(401);
    expect((await t.get('/health', null)).status).toBe(200);
    expect(t.box.buffer.status().current_queued).toBe(0);
  });
});
