// Driver-level print benchmark: receipts through PrinterService to the emulator on a real PTY
// at 115200 baud. Per receipt: total latency, the emulator's own time (line time both ways +
// FN write time, counted by the emulator) and the rest (the box side: driver, PTY hop, Node).
// Usage: npx tsx scripts/bench/print-driver.ts [N]; the last line is JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import { PrinterService } from '../../firmware/printer/service.js';
import { printerConfigSchema } from '../../firmware/printer/config.js';
import { silentLogger } from '../../shared/logger.js';
import type { Receipt } from '../../shared/receipt.js';
import { machineFacts, percentile, round } from './machine-facts.js';

const n = Number(process.argv[2] ?? process.env.BENCH_N ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'bench-print-'));
const emu = await ShtrihEmulator.onPty({ dir, baudRate: 115200, printLineMs: 15, fnDocMs: Number(process.env.FN_DOC_MS ?? 150), stateFile: null });
const svc = new PrinterService(printerConfigSchema.parse({ path: emu.hostPath }), silentLogger());
await svc.start();
await svc.connection.waitConnected(5000);

const receipt = (i: number): Receipt => {
  const total = 1000 + i;
  const type = i % 4 === 3 ? 'refund' : 'sale';
  return {
    pos_id: 'bench', type, total, change: 0,
    items: [{ name: `Линза ${i}`, qty: 1000, price: total, sum: total, vat: 'vat22', payment_method: 'full_payment', payment_object: 'commodity' }],
    payments: [{ method: 'card', amount: total }],
  };
};

await svc.print(receipt(0), () => undefined);
const lat: number[] = [];
const emuMs: number[] = [];
const over: number[] = [];
for (let i = 1; i <= n; i++) {
  const d0 = emu.link.stats.deviceMs;
  const t0 = performance.now();
  await svc.print(receipt(i), () => undefined);
  const dt = performance.now() - t0;
  const de = emu.link.stats.deviceMs - d0;
  lat.push(dt);
  emuMs.push(de);
  over.push(dt - de);
}
if (process.env.BENCH_DEBUG) console.log(over.map((x) => Math.round(x)).join(" "));
await svc.stop();
await emu.stop();
rmSync(dir, { recursive: true, force: true });
const s = (a: number[]) => [...a].sort((x, y) => x - y);
const facts = machineFacts(tmpdir());
console.log(`machine: ${JSON.stringify(facts)}`);
console.log(`receipts: ${n} via the driver (no HTTP), emulator at 115200 baud, FN write ${process.env.FN_DOC_MS ?? 150} ms, print 15 ms/line`);
console.log(JSON.stringify({
  level: 'driver', n, p50_ms: round(percentile(s(lat), 50)), p95_ms: round(percentile(s(lat), 95)),
  emulator_p95_ms: round(percentile(s(emuMs), 95)), overhead_p95_ms: round(percentile(s(over), 95)), overhead_p50_ms: round(percentile(s(over), 50)),
}));
