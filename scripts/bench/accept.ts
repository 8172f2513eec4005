// npm run bench:accept — (a) raw better-sqlite3 durable single-row inserts (WAL,
// synchronous=FULL, one transaction each) and (b) receipts accepted through the LAN API end
// to end with concurrent clients, on the same disk, in one run. Ends with one JSON line.
// Options (env): BENCH_CLIENT (wrk | node, see load.ts), BENCH_SECONDS (5, wrk), BENCH_API_N
// (10000, node), BENCH_CONCURRENCY (8: more POS terminals than a store has), BENCH_RAW_N
// (4000), BENCH_CPU_PROF (dir), BENCH_DIR.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import { Box } from '../../firmware/box.js';
import { loadBoxConfig } from '../../firmware/config.js';
import { loadClient, postSales } from './load.js';
import { machineFacts, percentile, round } from './machine-facts.js';

const CLIENT = loadClient();
const RAW_N = Number(process.env.BENCH_RAW_N ?? 4000);
const API_N = Number(process.env.BENCH_API_N ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONC = Number(process.env.BENCH_CONCURRENCY ?? 8);
const dir = resolve(process.env.BENCH_DIR ?? '.tmp/bench-accept');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const facts = machineFacts(dir);
console.log('machine:', JSON.stringify(facts));
console.log(`raw inserts: ${RAW_N}; API: ${CLIENT === 'wrk' ? `${SECONDS} s of receipts from wrk` : `${API_N} receipts from node:http clients`} with ${CONC} concurrent clients; data in ${dir}`);

// (a) raw: the best a single-row durable insert can do on this disk, payload of receipt size.
// Measured before AND after the API run (half each): a virtual disk's fsync time drifts, and
// the ratio must compare like with like.
const payload = JSON.stringify({ items: [{ name: 'Frame Ray-Ban RB5154', qty: 1000, price: 899000 }], pad: 'x'.repeat(400) });
const db = openDatabase(join(dir, 'raw.db'), { synchronous: 'FULL' });
db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, payload TEXT NOT NULL, at TEXT NOT NULL)');
const ins = db.prepare('INSERT INTO t (k, payload, at) VALUES (?, ?, ?)');
const rawLat: number[] = [];
let rawSeconds = 0;
let rawDone = 0;
function rawPhase(n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    ins.run(`k${rawDone++}`, payload, new Date().toISOString());
    rawLat.push(performance.now() - t0);
  }
  const s = (performance.now() - start) / 1000;
  rawSeconds += s;
  return n / s;
}
// Warm-up, not measured: the first thousand inserts of a fresh file run ~35 % slower (the
// file and WAL growing, the JIT), which would flatter the API's ratio.
for (let i = 0; i < 500; i++) ins.run(`warm${i}`, payload, new Date().toISOString());
const rawBefore = rawPhase(Math.ceil(RAW_N / 2));
console.log(`raw (before API run): ${round(rawBefore, 0)} inserts/s`);

// (b) API end to end: a real box on 127.0.0.1, clients in another process. A capacity above
// anything a run can post, so no sale meets "buffer full".
const token = 'bench-pos-token-0123456789';
// BENCH_CPU_PROF=dir also writes the node client's V8 CPU profile there (run the parent with
// `node --cpu-prof --cpu-prof-dir=dir --import tsx` for the box's own).
const profileArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
const box = new Box(loadBoxConfig({ env: {}, overrides: {
  dataDir: join(dir, 'box'), logLevel: 'silent', api: { port: 0, posTokens: [token] }, buffer: { capacity: 10_000_000, maxBatch: 256, warnPercent: 80 },
} }), { log: silentLogger() });
const url = await box.start();
let boxCpu0 = process.cpuUsage();
let gc0 = box.buffer.groupCommitStats;
const api = await postSales(CLIENT, { url, token, concurrency: CONC, seconds: SECONDS, count: API_N, execArgv: profileArgs, onMeasured: () => {
  boxCpu0 = process.cpuUsage();
  gc0 = box.buffer.groupCommitStats;
} });
const boxCpu = process.cpuUsage(boxCpu0);
// The measured phase only (the warm-up's cold code is not the box's steady cost).
const boxCpuMsPerRequest = (boxCpu.user + boxCpu.system) / 1000 / api.requests;
const stored = box.buffer.status().current_queued;
const gc = box.buffer.groupCommitStats;
const meanBatch = (gc.items - gc0.items) / Math.max(1, gc.batches - gc0.batches);
// The box's own count of what it did with each request: every one must have created a new
// receipt (no idempotent replay, conflict, rejection or refusal passes as a 201 here), every
// created receipt must be stored, and every answered one created. wrk stops with up to CONC
// requests per run in flight, which the box created but wrk did not count.
const outcomes = Object.fromEntries((await box.metrics.receiptsAccepted.get()).values.map((v) => [String(v.labels.outcome), v.value]));
const created = outcomes.created ?? 0;
const others = Object.entries(outcomes).filter(([k, v]) => k !== 'created' && v > 0);
await box.stop();
const answered = api.requests + api.warmup;
const storedOk = api.requests > 0 && others.length === 0 && created === stored && created >= answered && created <= answered + 2 * CONC;
const rawAfter = rawPhase(Math.floor(RAW_N / 2));
console.log(`raw (after API run):  ${round(rawAfter, 0)} inserts/s`);
db.close();
rawLat.sort((a, b) => a - b);
const rawRate = rawDone / rawSeconds;
console.log(`raw:  ${round(rawRate, 0)} inserts/s  p50 ${round(percentile(rawLat, 50))} ms  p95 ${round(percentile(rawLat, 95))} ms  p99 ${round(percentile(rawLat, 99))} ms`);
console.log(`api:  ${round(api.perSecond, 0)} receipts/s  p50 ${round(api.p50Ms)} ms  p95 ${round(api.p95Ms)} ms  p99 ${round(api.p99Ms)} ms  (${api.requests} in ${round(api.seconds)} s, no error answers; mean group commit ${round(meanBatch, 1)} receipts)`);
console.log(`stored: ${stored}, created by the box: ${created}${others.length ? `, other outcomes: ${JSON.stringify(Object.fromEntries(others))}` : ''}, answered: ${answered} (warm-up included): ${storedOk ? 'every request created a new receipt, every answered one is stored' : 'MISMATCH'}`);
console.log(`cpu per receipt: box ${round(boxCpuMsPerRequest, 3)} ms, load generator (${CLIENT}) ${round(api.clientCpuMsPerRequest, 3)} ms (both on these ${facts.cores} cores)`);
const ratio = api.perSecond / rawRate;
const ok = ratio >= 0.5 && api.p95Ms <= 10 && storedOk;
console.log(`ratio api/raw ${round(ratio, 3)}; target ratio >= 0.5 and p95 <= 10 ms: ${ok ? 'MET' : 'NOT MET'}`);
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  raw_inserts_per_s: round(rawRate, 1), raw_p50_ms: round(percentile(rawLat, 50), 3), raw_p95_ms: round(percentile(rawLat, 95), 3),
  raw_p99_ms: round(percentile(rawLat, 99), 3), api_receipts_per_s: round(api.perSecond, 1), api_p50_ms: round(api.p50Ms, 3),
  api_p95_ms: round(api.p95Ms, 3), api_p99_ms: round(api.p99Ms, 3), ratio: round(ratio, 3),
  target_met: ok, client: CLIENT, raw_n: rawDone, raw_before_per_s: round(rawBefore, 1), raw_after_per_s: round(rawAfter, 1), api_n: api.requests, api_seconds: round(api.seconds, 2),
  concurrency: CONC, stored, created, stored_ok: storedOk, mean_batch: round(meanBatch, 1), box_cpu_ms_per_receipt: round(boxCpuMsPerRequest, 3), client_cpu_ms_per_receipt: round(api.clientCpuMsPerRequest, 3),
  cpu: facts.cpu, cores: facts.cores, node: facts.node, loadavg_1m: facts.loadavg_1m,
}));
if (!storedOk) process.exitCode = 1;
