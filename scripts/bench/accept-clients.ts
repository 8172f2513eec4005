// Load generator for bench:accept, in its own process (as POS terminals would be): C
// concurrent clients post N receipts in total, each with a fresh Idempotency-Key.
import { randomUUID } from 'node:crypto';

const [url, token, totalArg, concArg] = process.argv.slice(2);
const total = Number(totalArg);
const concurrency = Number(concArg);
const body = JSON.stringify({
  pos_id: 'POS-001', type: 'sale',
  items: [{ name: 'Frame Ray-Ban RB5154', qty: 1, price: 8990, product_id: 'PROD-001' }, { name: 'Lens 1.6 AR', qty: 2, price: 3450.5 }],
  payments: [{ method: 'card', amount: 15891 }],
});

async function post(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/kkt/receipt`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`HTTP ${res.status}`);
  return performance.now() - t0;
}

let next = 0;
const latencies: number[] = [];
// Warm-up: connections and JIT, not measured.
await Promise.all(Array.from({ length: concurrency }, () => post()));
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < total) {
    next++;
    latencies.push(await post());
  }
}));
const seconds = (performance.now() - start) / 1000;
process.send?.({ latencies, seconds });
