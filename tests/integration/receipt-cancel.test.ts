// POST /v1/kkt/receipt/{id}/cancel and GET /v1/kkt/receipts: a sale stored but never
// fiscalised can be abandoned; a fiscal document cannot. Against the emulator on a real PTY.
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { saleBody } from '../helpers/receipts.js';
import { startPrinterBox, type PrinterBox } from '../helpers/printer-box.js';
import { startTestBox, TEST_TOKEN, type TestBox } from '../helpers/box-server.js';
import { CheckpointStore } from '../../firmware/printer/box-fiscaliser.js';
import { openDatabase } from '../../shared/db.js';
import { join } from 'node:path';

let pb: PrinterBox | null = null;
let tb: TestBox | null = null;
afterEach(async () => {
  await pb?.stopAll();
  await tb?.stop();
  pb = null;
  tb = null;
});

type Problem = { type: string; detail: string; status: number } & Record<string, unknown>;
const receiptsInFn = (p: PrinterBox) => p.emu.fn.state.docs.filter((d) => d.form === 3).length;

function cancel(t: TestBox, id: string, body?: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${t.url}/v1/kkt/receipt/${id}/cancel`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

/** A sale that failed on paper out: its receipt id (print_failed, nothing in the FN). */
async function failedSale(p: PrinterBox, key: string): Promise<string> {
  await p.emu.applyFault('paper-out');
  const res = await p.post(saleBody(), { key });
  expect(res.status).toBe(503);
  return (await res.json() as { receipt_id: string }).receipt_id;
}

/** The FN closes the receipt, its answer is lost and the line stays silent: 504, receipt print_failed. */
async function lostCloseAnswer(p: PrinterBox): Promise<string> {
  await p.emu.applyFault('drop-after', 'ff45');
  const res = await p.post(saleBody());
  expect(res.status).toBe(504);
  return (await res.json() as { receipt_id: string }).receipt_id;
}

describe('cancelling a sale that was never fiscalised', () => {
  it('paper out, customer gone: cancel takes it out of the queue; the same key never prints it; cancel again is the same answer', async () => {
    pb = await startPrinterBox();
    const key = randomUUID();
    const id = await failedSale(pb, key);
    const before = await (await pb.get('/v1/kkt/buffer/status')).json() as { current_queued: number; oldest_pending_hlc: string | null };
    expect(before.current_queued).toBe(1);
    expect(before.oldest_pending_hlc).not.toBeNull();

    const res = await cancel(pb, id, JSON.stringify({ reason: 'покупатель ушёл' }));
    expect(res.status).toBe(200);
    const view = await res.json() as Record<string, unknown>;
    expect(view).toMatchObject({ receipt_id: id, status: 'cancelled', cancel_reason: 'покупатель ушёл', fiscal: null });
    expect(typeof view.cancelled_at).toBe('string');

    const after = await (await pb.get('/v1/kkt/buffer/status')).json() as { current_queued: number; oldest_pending_hlc: string | null; by_status: Record<string, number> };
    expect(after).toMatchObject({ current_queued: 0, oldest_pending_hlc: null });
    expect(after.by_status.cancelled).toBe(1);
    expect(pb.box.buffer.events(id).map((e) => e.event)).toEqual(['buffered', 'print_failed', 'cancelled']);

    // The POS retries the old key after the paper is back: refused, nothing printed.
    await pb.emu.applyFault('paper-in');
    const retry = await pb.post(saleBody(), { key });
    expect(retry.status).toBe(409);
    const p = await retry.json() as Problem;
    expect(p.type).toMatch(/receipt-cancelled$/);
    expect(p.detail).toMatch(/new key/);
    expect(receiptsInFn(pb)).toBe(0);
    expect(pb.box.buffer.pending()).toEqual([]);

    const again = await cancel(pb, id);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'cancelled', cancel_reason: 'покупатель ушёл' });
    // A refund of it has nothing to refund.
    const refund = await pb.post(saleBody({ type: 'refund', original_receipt_id: id }));
    expect(refund.status).toBe(409);
    expect((await refund.json() as Problem).type).toMatch(/refund-original-cancelled$/);
  });

  it('a printed receipt is a fiscal document: 409 naming it and the refund to use; nothing changes', async () => {
    pb = await startPrinterBox();
    const ok = await pb.post(saleBody());
    const { receipt_id: id } = await ok.json() as { receipt_id: string };
    const res = await cancel(pb, id);
    expect(res.status).toBe(409);
    const p = await res.json() as Problem & { fiscal: { fiscal_document_number: number } };
    expect(p.type).toMatch(/receipt-fiscalised$/);
    expect(p.detail).toMatch(/refund with original_receipt_id/);
    expect(p.fiscal.fiscal_document_number).toBe(pb.emu.fn.state.lastFd);
    expect(p.receipt_id).toBe(id);
    expect(pb.box.buffer.get(id)?.status).toBe('printed');
    expect(pb.box.buffer.pending().map((r) => r.id)).toEqual([id]);
  });

  it('the close went through but its answer was lost: no cancel while the FN cannot be asked; then the FN says it is fiscal, and it goes to the OFD', async () => {
    pb = await startPrinterBox();
    const id = await lostCloseAnswer(pb);
    expect(pb.box.buffer.get(id)?.status).toBe('print_failed');

    const early = await cancel(pb, id);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('30');
    expect((await early.json() as Problem).type).toMatch(/fiscal-state-unknown$/);
    expect(pb.box.buffer.get(id)?.status).toBe('print_failed');

    await pb.emu.applyFault('silence', 'off');
    const late = await cancel(pb, id);
    expect(late.status).toBe(409);
    expect((await late.json() as Problem).type).toMatch(/receipt-fiscalised$/);
    expect(pb.box.buffer.get(id)?.status).toBe('printed');
    expect(pb.box.buffer.pending().map((r) => r.id)).toEqual([id]);
    expect(receiptsInFn(pb)).toBe(1);
  });

  it('an open checkpoint the FN did not fill: settled with the FN first, then the sale is cancelled', async () => {
    pb = await startPrinterBox();
    const id = await failedSale(pb, randomUUID());
    // As a close whose answer was lost leaves it: a checkpoint at the FN's current last document.
    const checkpoints = new CheckpointStore(pb.box.buffer.db);
    checkpoints.save(id, { lastFd: pb.emu.fn.state.lastFd, operation: 1, total: 100_000, at: new Date().toISOString() });
    await pb.emu.applyFault('paper-in');
    const ok = await cancel(pb, id);
    expect(ok.status).toBe(200);
    expect(checkpoints.get(id)?.settled).toBe(true);
    expect(pb.box.buffer.get(id)?.status).toBe('cancelled');
    expect(receiptsInFn(pb)).toBe(0);
  });

  it('a box without a printer: a buffered sale can be cancelled', async () => {
    tb = await startTestBox();
    const res = await tb.post(saleBody());
    const { receipt_id: id, status } = await res.json() as { receipt_id: string; status: string };
    expect(status).toBe('buffered');
    const ok = await cancel(tb, id, '');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'cancelled', cancel_reason: 'cancelled by the POS' });
  });

  it('bad requests get a clear error and change nothing', async () => {
    tb = await startTestBox();
    const { receipt_id: id } = await (await tb.post(saleBody())).json() as { receipt_id: string };
    const cases: [Response, number, RegExp][] = [
      [await cancel(tb, randomUUID()), 404, /receipt-not-found$/],
      [await cancel(tb, 'not-a-uuid'), 404, /receipt-not-found$/],
      [await cancel(tb, id, JSON.stringify({ reason: 'x', why: 'y' })), 422, /invalid-request$/],
      [await cancel(tb, id, JSON.stringify({ reason: 7 })), 422, /invalid-request$/],
      [await cancel(tb, id, JSON.stringify({ reason: 'a\u0000b' })), 422, /invalid-request$/],
      [await cancel(tb, id, JSON.stringify({ reason: 'x'.repeat(201) })), 422, /invalid-request$/],
      [await cancel(tb, id, '{"reason":'), 400, /invalid-json$/],
      [await cancel(tb, id, 'reason=x', 'text/plain'), 415, /unsupported-media-type$/],
      [await fetch(`${tb.url}/v1/kkt/receipt/${id}/cancel`, { method: 'POST' }), 401, /unauthorized|auth/],
    ];
    for (const [res, status, type] of cases) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect((await res.json() as Problem).type).toMatch(type);
    }
    const bad = await (await cancel(tb, id, JSON.stringify({ reason: 'x', why: 'y' }))).json() as { errors: { field: string }[] };
    expect(bad.errors.map((e) => e.field)).toEqual(['why']);
    expect(tb.box.buffer.get(id)?.status).toBe('buffered');
  });
});

describe('GET /v1/kkt/receipts?status=', () => {
  it('lists one status oldest first, bounded; a bad query names what to fix', async () => {
    tb = await startTestBox();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await (await tb.post(saleBody({ pos_id: `POS-${i}` }))).json() as { receipt_id: string }).receipt_id);
    await cancel(tb, ids[1]!);
    const buffered = await (await tb.get('/v1/kkt/receipts?status=buffered')).json() as { count: number; receipts: { receipt_id: string }[] };
    expect(buffered.receipts.map((r) => r.receipt_id)).toEqual([ids[0], ids[2]]);
    const one = await (await tb.get('/v1/kkt/receipts?status=buffered&limit=1')).json() as { count: number; total: number; receipts: { receipt_id: string }[] };
    expect(one.receipts.map((r) => r.receipt_id)).toEqual([ids[0]]);
    expect(one).toMatchObject({ count: 1, total: 2 });
    const cancelled = await (await tb.get('/v1/kkt/receipts?status=cancelled')).json() as { receipts: { receipt_id: string; status: string }[] };
    expect(cancelled.receipts).toEqual([expect.objectContaining({ receipt_id: ids[1], status: 'cancelled' })]);
    for (const q of ['', '?status=lost', '?status=buffered&limit=0', '?status=buffered&limit=501', '?status=buffered&limit=abc']) {
      const res = await tb.get(`/v1/kkt/receipts${q}`);
      expect(res.status).toBe(400);
      expect((await res.json() as Problem).type).toMatch(/invalid-query$/);
    }
    expect((await tb.get('/v1/kkt/receipts?status=buffered', null)).status).toBe(401);
  });
});

describe('cancel when the fiscal drive cannot be asked', () => {
  it('the printer switched off in the config after a lost close answer: 503, nothing changes, and the receipt still reaches the OFD later', async () => {
    pb = await startPrinterBox();
    const id = await lostCloseAnswer(pb);
    await pb.box.stop();
    // The printer goes for repair: the same data, no printer configured.
    const noPrinter = await startTestBox({ dataDir: pb.dataDir });
    try {
      const r = await cancel(noPrinter, id);
      expect(r.status).toBe(503);
      expect((await r.json() as Problem).type).toMatch(/fiscal-state-unknown$/);
      expect(noPrinter.box.buffer.get(id)?.status).toBe('print_failed');
    } finally {
      await noPrinter.box.stop();
    }
    // The printer is back: the box finds the FN made it; it is printed and uploadable.
    await pb.emu.applyFault('silence', 'off');
    pb = await pb.restart();
    expect(pb.box.buffer.get(id)?.status).toBe('printed');
    expect(pb.box.buffer.pending().map((r) => r.id)).toEqual([id]);
  });

  it('killed during the close and restarted with the printer silent: the receipt is "outcome unknown", never "not printed"', async () => {
    pb = await startPrinterBox();
    const id = await lostCloseAnswer(pb);
    await pb.box.stop();
    // What a kill -9 between the close and its answer leaves: the receipt still buffered, its
    // checkpoint open.
    const db = openDatabase(join(pb.dataDir, 'box.db'), { synchronous: 'FULL' });
    db.prepare("UPDATE receipts SET status = 'buffered', last_error = NULL WHERE id = ?").run(id);
    db.close();
    pb = await pb.restart();
    const view = await (await pb.get(`/v1/kkt/receipt/${id}`)).json() as { status: string; last_error: string };
    expect(view.status).toBe('print_failed');
    expect(view.last_error).toMatch(/^outcome unknown/);
    expect((await cancel(pb, id)).status).toBe(503);
    await pb.emu.applyFault('silence', 'off');
    expect((await pb.post(saleBody({ pos_id: 'POS-2' }))).status).toBe(201);
    expect(pb.box.buffer.get(id)?.status).toBe('printed');
    expect(receiptsInFn(pb)).toBe(2);
  });

  it('a box restarted while its printer is silent after a lost close answer still starts; the cancel waits for the FN', async () => {
    pb = await startPrinterBox();
    const id = await lostCloseAnswer(pb);
    // Still silent: the start-up settle cannot ask the FN, and the box must come up anyway.
    pb = await pb.restart();
    expect((await pb.get('/v1/kkt/buffer/status')).status).toBe(200);
    const early = await cancel(pb, id);
    expect(early.status).toBe(503);
    await pb.emu.applyFault('silence', 'off');
    const late = await cancel(pb, id);
    expect(late.status).toBe(409);
    expect((await late.json() as Problem).type).toMatch(/receipt-fiscalised$/);
    expect(pb.box.buffer.get(id)?.status).toBe('printed');
  });
});
