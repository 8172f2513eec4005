// The node:http load generator of bench:accept with BENCH_CLIENT=node (wrk is the default; see
// load.ts), in its own process as POS terminals would be: C concurrent clients post N receipts
// in total, each with a fresh Idempotency-Key. Its own CPU time is reported.
import { randomUUID } from 'node:crypto';
import { keepAliveAgent, postJson } from './http-post.js';
import { BENCH_SALE } from './load.js';

const [url, token, totalArg, concArg] = process.argv.slice(2);
const total = Number(totalArg);
const concurrency = Number(concArg);
const target = new URL('/v1/kkt/receipt', url);
const agent = keepAliveAgent(concurrency);
const body = Buffer.from(BENCH_SALE);

async function post(): Promise<number> {
  const r = await postJson(agent, target, token as string, randomUUID(), body);
  if (r.status !== 201) throw new Error(`HTTP ${r.status}: ${r.body}`);
  return r.ms;
}

let next = 0;
const latencies: number[] = [];
// Warm-up, not measured: connections, and about a second of load so the box's (and this
// client's) hot code is optimised by the JIT before the clock starts, as wrk's warm-up does.
let warmup = 0;
const warmUntil = performance.now() + 1000;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < warmUntil) {
    warmup++;
    await post();
  }
}));
process.send?.({ phase: 'measuring' });
const cpu0 = process.cpuUsage();
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < total) {
    next++;
    latencies.push(await post());
  }
}));
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
agent.destroy();
process.send?.({ latencies, seconds, warmup, clientCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / latencies.length });
