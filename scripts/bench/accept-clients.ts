// Load generator for bench:accept, in its own process (as POS terminals would be): C
// concurrent clients post N receipts in total, each with a fresh Idempotency-Key. The
// client's own CPU time is reported so a reader can see what the load cost.
import { randomUUID } from 'node:crypto';
import { keepAliveAgent, postJson } from './http-post.js';

const [url, token, totalArg, concArg] = process.argv.slice(2);
const total = Number(totalArg);
const concurrency = Number(concArg);
const target = new URL('/v1/kkt/receipt', url);
const agent = keepAliveAgent(concurrency);
const body = Buffer.from(JSON.stringify({
  pos_id: 'POS-001', type: 'sale',
  items: [{ name: 'Frame Ray-Ban RB5154', qty: 1, price: 8990, product_id: 'PROD-001' }, { name: 'Lens 1.6 AR', qty: 2, price: 3450.5 }],
  payments: [{ method: 'card', amount: 15891 }],
}));

async function post(): Promise<number> {
  const r = await postJson(agent, target, token as string, randomUUID(), body);
  if (r.status !== 201) throw new Error(`HTTP ${r.status}: ${r.body}`);
  return r.ms;
}

let next = 0;
const latencies: number[] = [];
// Warm-up: connections and JIT, not measured.
await Promise.all(Array.from({ length: concurrency * 4 }, () => post()));
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
process.send?.({ latencies, seconds, clientCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / latencies.length });
