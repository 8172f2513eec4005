import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Fiscaliser } from '../../firmware/fiscal/fiscaliser.js';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';

let t: TestBox | null = null;
afterEach(async () => { await t?.stop(); t = null; });

const fiscal = { fiscal_document_number: 42, fiscal_sign: '3522204107', fn_serial: '9999078900004312', printed_at: '2026-11-25T12:00:00Z' };

describe('the Fiscaliser seam (where the printer driver plugs in)', () => {
  it('a printed receipt answers with its fiscal data, is stored printed, and replays the same', async () => {
    const seen: string[] = [];
    const printer: Fiscaliser = { fiscalise: async (r) => { seen.push(r.id); return { status: 'printed', fiscal }; } };
    t = await startTestBox({}, { fiscaliser: printer });
    const key = randomUUID();
    const res = await t.post(saleBody(), { key });
    const body = await res.json() as { receipt_id: string; status: string; fiscal: unknown };
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ status: 'printed', fiscal });
    expect(seen).toEqual([body.receipt_id]);
    expect(t.box.buffer.get(body.receipt_id)).toMatchObject({ status: 'printed', fiscalData: fiscal });
    const replay = await t.post(saleBody(), { key });
    expect(await replay.json()).toEqual(body);
    expect(seen).toHaveLength(1); // a retry never prints twice
  });

  it('a printer failure keeps the receipt (print_failed), answers problem+json, and the same key retries the print', async () => {
    let fail = true;
    const calls: string[] = [];
    t = await startTestBox({}, { fiscaliser: { fiscalise: async (r) => {
      calls.push(r.id);
      if (fail) throw new Error('paper out');
      return { status: 'printed', fiscal };
    } } });
    const key = randomUUID();
    const res = await t.post(saleBody(), { key });
    const body = await res.json() as { receipt_id: string; status: number; detail: string; type: string };
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(body).toMatchObject({ status: 503, receipt_status: 'print_failed', fiscalised: false });
    expect(body.detail).toMatch(/paper out/);
    expect(t.box.buffer.get(body.receipt_id)).toMatchObject({ status: 'print_failed', lastError: 'paper out' });
    expect(t.box.buffer.pending()).toEqual([]);
    const again = await t.post(saleBody(), { key });
    expect(again.status).toBe(503);
    expect(t.box.buffer.get(body.receipt_id)?.retryCount).toBe(1);
    fail = false;
    const ok = await t.post(saleBody(), { key });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ receipt_id: body.receipt_id, status: 'printed', fiscal });
    expect(t.box.buffer.events(body.receipt_id).map((e) => e.event)).toEqual(['buffered', 'print_failed', 'retry', 'printed']);
    expect(calls).toEqual([body.receipt_id, body.receipt_id, body.receipt_id]);
    const replay = await t.post(saleBody(), { key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(calls).toHaveLength(3);
  });
});
