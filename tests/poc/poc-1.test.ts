// Seed checkpoint POC-1 (test_poc_1_emulator): 50 receipts, a sale/refund mix, through the
// box's LAN API to the Shtrih-M emulator on a real PTY (realistic timing: 115200 baud, 15 ms
// per printed line, 150 ms per FN document). All must be fiscalised; seed targets: p95 <= 7 s,
// throughput >= 20 receipts/min. The figures are printed for docs/performance.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startPrinterBox, type PrinterBox } from '../helpers/printer-box.js';
import { saleBody } from '../helpers/receipts.js';
import { percentile } from '../../scripts/bench/machine-facts.js';

let pb: PrinterBox;
beforeAll(async () => {
  pb = await startPrinterBox({ printLineMs: 15, fnDocMs: 150, baudRate: 115200 });
});
afterAll(async () => {
  await pb.stopAll();
});

describe('POC-1: 50 receipts via the API against the printer emulator', () => {
  it('fiscalises all 50 (sale/refund mix) within p95 <= 7 s and >= 20 receipts/min', async () => {
    const POS = 5;
    const PER_POS = 10;
    const latencies: number[] = [];
    const bodies: { fiscal: { fiscal_document_number: number }; type: string; status: string }[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: POS }, async (_, p) => {
      for (let i = 0; i < PER_POS; i++) {
        const n = p * PER_POS + i;
        const body = saleBody({
          pos_id: `POS-${p + 1}`, type: n % 3 === 2 ? 'refund' : 'sale',
          items: [{ name: `Линза ${n}`, qty: 1 + (n % 2), price: 1000 + n }],
          payments: [{ method: n % 2 ? 'card' : 'cash', amount: (1000 + n) * (1 + (n % 2)) }],
        });
        const s = performance.now();
        const res = await pb.post(body, { key: randomUUID() });
        latencies.push(performance.now() - s);
        expect(res.status).toBe(201);
        bodies.push(await res.json() as (typeof bodies)[number]);
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const p95 = percentile(sorted, 95);
    const perMin = (50 / seconds) * 60;
    console.log(`POC-1: 50 receipts in ${seconds.toFixed(2)} s, p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, ${perMin.toFixed(0)} receipts/min`);
    expect(bodies.every((b) => b.status === 'printed')).toBe(true);
    const fds = bodies.map((b) => b.fiscal.fiscal_document_number);
    expect(new Set(fds).size).toBe(50);
    const docs = pb.emu.fn.state.docs.filter((d) => d.form === 3);
    expect(docs).toHaveLength(50);
    expect(docs.filter((d) => d.operation === 2)).toHaveLength(bodies.filter((b) => b.type === 'refund').length);
    expect(pb.box.buffer.status().by_status.printed).toBe(50);
    expect(p95).toBeLessThanOrEqual(7000);
    expect(perMin).toBeGreaterThanOrEqual(20);
  }, 120_000);
});
