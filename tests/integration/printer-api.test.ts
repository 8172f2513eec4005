// Phase-1 printing through the LAN API against the emulator on a real PTY.
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { saleBody } from '../helpers/receipts.js';
import { startPrinterBox, type PrinterBox } from '../helpers/printer-box.js';

let pb: PrinterBox | null = null;
afterEach(async () => {
  await pb?.stopAll();
  pb = null;
});

type Json = Record<string, unknown> & { fiscal: Record<string, unknown>; receipt_id: string };
const receiptsInFn = (p: PrinterBox) => p.emu.fn.state.docs.filter((d) => d.form === 3).length;

describe('POST /v1/kkt/receipt with the printer', () => {
  it('prints a sale: 201 with fiscal data that matches the FN, stored printed, uploadable', async () => {
    pb = await startPrinterBox();
    const res = await pb.post(saleBody({ payments: [{ method: 'cash', amount: 1500 }] }));
    const body = await res.json() as Json;
    expect(res.status).toBe(201);
    expect(body.status).toBe('printed');
    expect(body.change).toBe(500);
    const doc = pb.emu.fn.doc(body.fiscal.fiscal_document_number as number)!;
    expect(body.fiscal).toMatchObject({ fiscal_sign: String(doc.fp), fn_serial: pb.emu.fn.state.fnNumber, shift_number: 1, receipt_number: 1 });
    expect(body.fiscal.qr).toBe(`t=${String(body.fiscal.printed_at).replace(/[-:]/g, '').slice(0, 13)}&s=1000.00&fn=${pb.emu.fn.state.fnNumber}&i=${doc.fd}&fp=${doc.fp}&n=1`);
    expect(doc.amount).toBe(100000);
    expect(pb.box.buffer.pending().map((r) => r.id)).toEqual([body.receipt_id]);
    // Server-Timing: the box's whole handling and, within it, the fiscalisation.
    const m = /^box;dur=([\d.]+), printer;dur=([\d.]+)$/.exec(res.headers.get('server-timing') ?? '');
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeGreaterThanOrEqual(Number(m![2]));
  });

  it('prints a refund with calculation sign 2', async () => {
    pb = await startPrinterBox();
    const res = await pb.post(saleBody({ type: 'refund' }));
    const body = await res.json() as Json;
    expect(res.status).toBe(201);
    expect(pb.emu.fn.doc(body.fiscal.fiscal_document_number as number)?.operation).toBe(2);
  });

  it('paper out: problem+json with cause and action, not fiscalised, not uploaded; the same key prints once after reload', async () => {
    pb = await startPrinterBox();
    await pb.emu.applyFault('paper-out');
    const key = randomUUID();
    const res = await pb.post(saleBody(), { key });
    const p = await res.json() as Record<string, unknown> & { printer_error: Record<string, unknown> };
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(p.type).toMatch(/printer-paper$/);
    expect(p.printer_error).toMatchObject({ kind: 'paper', message_ru: 'Нет чековой ленты' });
    expect(p.detail).toMatch(/Load a new paper roll/);
    expect(p.fiscalised).toBe(false);
    const id = p.receipt_id as string;
    expect(pb.box.buffer.get(id)?.status).toBe('print_failed');
    expect(pb.box.buffer.pending()).toEqual([]);
    expect(receiptsInFn(pb)).toBe(0);
    await pb.emu.applyFault('paper-in');
    const ok = await pb.post(saleBody(), { key });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ receipt_id: id, status: 'printed' });
    const replay = await pb.post(saleBody(), { key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(receiptsInFn(pb)).toBe(1);
  });

  it('shift over 24 h: 409 telling the cashier to close the shift; after POST /v1/kkt/shift/close the retry prints', async () => {
    pb = await startPrinterBox();
    await pb.emu.applyFault('shift-24h');
    const key = randomUUID();
    const res = await pb.post(saleBody(), { key });
    expect(res.status).toBe(409);
    expect((await res.json() as { detail: string }).detail).toMatch(/Z-report/);
    const z = await pb.postJson('/v1/kkt/shift/close');
    expect(z.status).toBe(200);
    expect(await z.json()).toMatchObject({ printed: 'z-report', shift_open: false });
    expect((await pb.post(saleBody(), { key })).status).toBe(201);
  });

  it('printer unplugged: 503 at once and /health says disconnected; after replug the retry prints', async () => {
    pb = await startPrinterBox();
    await pb.emu.unplug();
    await expect.poll(() => pb!.box.printer?.state).toBe('disconnected');
    const t0 = Date.now();
    const key = randomUUID();
    const res = await pb.post(saleBody(), { key });
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await res.json() as { type: string }).type).toMatch(/printer-disconnected$/);
    const h = await (await pb.get('/health')).json() as { components: Record<string, { status: string; detail: Record<string, unknown> }> };
    expect(h.components.printer).toMatchObject({ status: 'fail', detail: { connected: false, message: 'printer disconnected' } });
    await pb.emu.replug();
    await pb.box.printer!.connection.waitConnected(5000);
    expect((await pb.post(saleBody(), { key })).status).toBe(201);
  });
});

describe('shift and reports with no network', () => {
  it('open shift, X-report, Z-report; wrong-state calls get a clear 409', async () => {
    pb = await startPrinterBox();
    const open = await pb.postJson('/v1/kkt/shift/open');
    expect(open.status).toBe(200);
    // The opening report is the FN's document 1 here (its number, as the Z-report's answer gives its own).
    expect(await open.json()).toEqual({ shift_open: true, shift_number: 1, fiscal_document_number: pb.emu.fn.state.lastFd });
    expect(pb.emu.fn.state.docs.at(-1)).toMatchObject({ form: 2, fd: pb.emu.fn.state.lastFd });
    const again = await pb.postJson('/v1/kkt/shift/open');
    expect(again.status).toBe(409);
    const x = await pb.postJson('/v1/kkt/report/x');
    expect(await x.json()).toMatchObject({ printed: 'x-report', shift_open: true });
    await pb.post(saleBody());
    const z = await pb.postJson('/v1/kkt/shift/close');
    expect(await z.json()).toMatchObject({ printed: 'z-report', shift_number: 1, receipts_in_shift: 1, fiscal_document_number: 3 });
    expect((await pb.postJson('/v1/kkt/shift/close')).status).toBe(409);
  });
});

describe('POST /v1/kkt/print/test', () => {
  it('prints non-fiscal lines on the tape and makes no FN document; no paper is a clear 503', async () => {
    pb = await startPrinterBox();
    const docsBefore = pb.emu.fn.state.docs.length;
    const r = await pb.postJson('/v1/kkt/print/test');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ printed: 'test', lines: 3 });
    expect(pb.emu.device.tape[0]).toBe('OpticsERP: test print');
    expect(pb.emu.device.tape).toHaveLength(3);
    expect(pb.emu.fn.state.docs.length).toBe(docsBefore);
    pb.emu.faults.paperLinesLeft = 0;
    const out = await pb.postJson('/v1/kkt/print/test');
    expect(out.status).toBe(503);
    expect(out.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await out.json()).toMatchObject({ type: expect.stringMatching(/printer-paper/) });
  });
});

describe('/health printer section', () => {
  it('connected, mode, paper, shift age, FN days left, unconfirmed documents and the oldest age', async () => {
    pb = await startPrinterBox();
    await pb.post(saleBody());
    const h = await (await pb.get('/health')).json() as { status: string; components: Record<string, { status: string; detail: Record<string, unknown> }> };
    expect(h.status).toBe('healthy');
    expect(h.components.printer?.detail).toMatchObject({
      connected: true, mode: 'shift-open', paper: 'ok', shift: { open: true, ageMinutes: 0 }, fn: { unconfirmed: 2, oldestUnconfirmedAgeMinutes: 0 }, warnings: [],
    });
    expect((h.components.printer?.detail.fn as { daysLeft: number }).daysLeft).toBeGreaterThan(300);
  });
});

describe('receipts caught mid-print', () => {
  it('the close went through but its reply was lost: 504 "unknown"; after a box restart it is printed, once', async () => {
    pb = await startPrinterBox();
    await pb.post(saleBody());
    await pb.emu.applyFault('drop-after', 'ff45');
    const key = randomUUID();
    const res = await pb.post(saleBody({ pos_id: 'POS-007' }), { key });
    expect(res.status).toBe(504);
    const p = await res.json() as { receipt_id: string; fiscalised: unknown };
    expect(p.fiscalised).toBeNull();
    expect(pb.box.buffer.get(p.receipt_id)?.status).toBe('print_failed');
    expect(pb.box.buffer.pending().map((r) => r.id)).not.toContain(p.receipt_id);
    // A retry while the printer is still silent must not claim "not fiscalised".
    const early = await pb.post(saleBody({ pos_id: 'POS-007' }), { key });
    expect(early.status).toBe(504);
    expect((await early.json() as { fiscalised: unknown }).fiscalised).toBeNull();
    await pb.emu.applyFault('silence', 'off');
    pb = await pb.restart();
    const r = pb.box.buffer.get(p.receipt_id)!;
    expect(r.status).toBe('printed');
    expect((r.fiscalData as { fiscal_document_number: number }).fiscal_document_number).toBe(pb.emu.fn.state.lastFd);
    const retry = await pb.post(saleBody({ pos_id: 'POS-007' }), { key });
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ receipt_id: p.receipt_id, status: 'printed' });
    expect(receiptsInFn(pb)).toBe(2);
  });

  it('the printer comes back while the box runs: the open checkpoint is settled before the next sale', async () => {
    pb = await startPrinterBox();
    await pb.emu.applyFault('drop-after', 'ff45');
    const key = randomUUID();
    const first = await pb.post(saleBody(), { key });
    expect(first.status).toBe(504);
    const id = (await first.json() as { receipt_id: string }).receipt_id;
    await pb.emu.applyFault('silence', 'off');
    // Another sale of the same amount: the lost one must be settled first, not confused with it.
    const second = await pb.post(saleBody({ pos_id: 'POS-002' }));
    expect(second.status).toBe(201);
    expect(pb.box.buffer.get(id)?.status).toBe('printed');
    const a = (pb.box.buffer.get(id)!.fiscalData as { fiscal_document_number: number }).fiscal_document_number;
    const b = ((await second.json()) as Json).fiscal.fiscal_document_number as number;
    expect(b).toBe(a + 1);
    expect(receiptsInFn(pb)).toBe(2);
    expect((await pb.post(saleBody(), { key })).status).toBe(201);
    expect(receiptsInFn(pb)).toBe(2);
  });

  it('unplugged right after the close: settled by itself when the printer comes back, without a POS retry', async () => {
    pb = await startPrinterBox();
    await pb.emu.applyFault('drop-after', 'ff45:disconnect');
    const res = await pb.post(saleBody());
    expect([503, 504]).toContain(res.status);
    const id = (await res.json() as { receipt_id: string }).receipt_id;
    expect(pb.box.buffer.get(id)?.status).toBe('print_failed');
    await pb.emu.replug();
    await expect.poll(() => pb!.box.buffer.get(id)?.status, { timeout: 10_000 }).toBe('printed');
    expect(pb.box.buffer.pending().map((r) => r.id)).toContain(id);
    expect(receiptsInFn(pb)).toBe(1);
    const metrics = await (await pb.get('/metrics')).text();
    expect(metrics).toMatch(/box_printer_connected 1/);
    expect(metrics).toMatch(/box_print_results_total\{outcome="(uncertain|failed)",kind="(uncertain|disconnected)"\} 1/);
  });
});
