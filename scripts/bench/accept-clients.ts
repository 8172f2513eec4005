// Load generator for bench:accept, in its own process (as POS terminals would be): C
// concurrent clients post N receipts in total, each with a fresh Idempotency-Key.
// node:http with a keep-alive agent rather than fetch(): undici's fetch spends ~0.5 ms of CPU
// per request on web streams, and on a 2-core machine that CPU is taken from the box being
// measured. The client's own CPU time is reported so a reader can see what it cost.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';

const [url, token, totalArg, concArg] = process.argv.slice(2);
const total = Number(totalArg);
const concurrency = Number(concArg);
const target = new URL('/v1/kkt/receipt', url);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const body = Buffer.from(JSON.stringify({
  pos_id: 'POS-001', type: 'sale',
  items: [{ name: 'Frame Ray-Ban RB5154', qty: 1, price: 8990, product_id: 'PROD-001' }, { name: 'Lens 1.6 AR', qty: 2, price: 3450.5 }],
  payments: [{ method: 'card', amount: 15891 }],
}));

function post(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
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
