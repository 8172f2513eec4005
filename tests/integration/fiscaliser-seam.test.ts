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

  it('a printer failure keeps the receipt (print_failed) and says so', async () => {
    t = await startTestBox({}, { fiscaliser: { fiscalise: async () => { throw new Error('paper out'); } } });
    const res = await t.post(saleBody());
    const body = await res.json() as { receipt_id: string; status: string; error: string };
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ status: 'print_failed', error: 'paper out' });
    expect(t.box.buffer.get(body.receipt_id)).toMatchObject({ status: 'print_failed', lastError: 'paper out' });
    expect(t.box.buffer.events(body.receipt_id).map((e) => e.event)).toEqual(['buffered', 'print_failed']);
  });
});
