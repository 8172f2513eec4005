// npm run bench:accept:ceiling — where bench:accept's time goes: the same accept logic
// (validation, idempotency, HLC, group-committed durable insert) behind three HTTP layers,
// each driven by the same load generator in another process (BENCH_CLIENT, see load.ts), and
// what HTTP alone allows:
//   http  - bare node:http, JSON.parse, a fixed 201 answer: no logic, nothing stored
//   node  - bare node:http, JSON.parse, acceptReceipt, JSON response (the floor of any HTTP API)
//   koa   - Koa + @koa/bodyparser + @koa/router around the same call
//   box   - the real box (auth, metrics, problem+json, sales gate, every route)
// Rounds alternate so a drifting machine affects all three alike. Ends with one JSON line.
// Options (env): BENCH_CLIENT (wrk | node), BENCH_SECONDS (3, wrk), BENCH_API_N (3000, node),
// BENCH_CONCURRENCY (8), BENCH_ROUNDS (3).
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { HybridLogicalClock } from '../../firmware/clock/hlc.js';
import { ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { acceptReceipt, type AcceptDeps } from '../../firmware/api/accept-receipt.js';
import { InFlightKeys } from '../../firmware/api/idempotency.js';
import { NoPrinterFiscaliser } from '../../firmware/fiscal/fiscaliser.js';
import { Box } from '../../firmware/box.js';
import { loadBoxConfig } from '../../firmware/config.js';
import { silentLogger } from '../../shared/logger.js';
import { loadClient, postSales } from './load.js';
import { machineFacts, percentile, round } from './machine-facts.js';

const CLIENT = loadClient();
const N = Number(process.env.BENCH_API_N ?? 3000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONC = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = resolve('.tmp/bench-accept-ceiling');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const token = 'bench-pos-token-0123456789';
const facts = machineFacts(dir);
console.log('machine:', JSON.stringify(facts));

type Layer = 'http' | 'node' | 'koa' | 'box';
let serial = 0;

async function serve(layer: Layer): Promise<{ url: string; stop: () => Promise<void>; buffer: ReceiptBuffer }> {
  const sub = join(dir, `${layer}-${serial++}`);
  if (layer === 'box') {
    const box = new Box(loadBoxConfig({ env: {}, overrides: {
      dataDir: sub, logLevel: 'silent', api: { port: 0, posTokens: [token] }, buffer: { capacity: 10_000_000, maxBatch: 256, warnPercent: 80 },
    } }), { log: silentLogger() });
    const url = await box.start();
    return { url, buffer: box.buffer, stop: () => box.stop() };
  }
  const buffer = ReceiptBuffer.open(join(sub, 'box.db'), { clock: new HybridLogicalClock({ node: 'bench' }), capacity: 1_000_000 });
  const deps: AcceptDeps = { buffer, fiscaliser: new NoPrinterFiscaliser(), inFlight: new InFlightKeys(), defaultVat: 'vat22', log: silentLogger() };
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  if (layer === 'http') {
    const b = JSON.stringify({ receipt_id: '00000000-0000-7000-8000-000000000000', status: 'buffered' });
    handler = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
        res.end(b);
      });
    };
  } else if (layer === 'node') {
    handler = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        acceptReceipt(deps, String(req.headers['idempotency-key']), JSON.parse(Buffer.concat(chunks).toString('utf8')))
          .then((o) => {
            const b = JSON.stringify(o.response.body);
            res.writeHead(o.response.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
            res.end(b);
          }, () => res.writeHead(500).end());
      });
    };
  } else {
    const app = new Koa();
    const router = new Router();
    router.post('/v1/kkt/receipt', async (ctx) => {
      const o = await acceptReceipt(deps, String(ctx.headers['idempotency-key']), ctx.request.body);
      ctx.status = o.response.status;
      ctx.body = o.response.body;
    });
    app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', jsonStrict: true }));
    app.use(router.routes());
    handler = app.callback();
  }
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, buffer,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      buffer.close();
    },
  };
}

async function run(layer: Layer): Promise<{ rate: number; p95: number; cpu: number; batch: number }> {
  const s = await serve(layer);
  const cpu0 = process.cpuUsage();
  const m = await postSales(CLIENT, { url: s.url, token, concurrency: CONC, seconds: SECONDS, count: N });
  const cpu = process.cpuUsage(cpu0);
  const gc = s.buffer.groupCommitStats;
  await s.stop();
  return { rate: m.perSecond, p95: m.p95Ms, cpu: (cpu.user + cpu.system) / 1000 / (m.requests + m.warmup), batch: gc.items / Math.max(1, gc.batches) };
}

const results: Record<Layer, { rate: number; p95: number; cpu: number; batch: number }[]> = { http: [], node: [], koa: [], box: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const layer of ['http', 'node', 'koa', 'box'] as const) {
    const x = await run(layer);
    results[layer].push(x);
    console.log(`round ${r + 1} ${layer.padEnd(4)} ${round(x.rate, 0)} receipts/s  p95 ${round(x.p95)} ms  server cpu ${round(x.cpu, 3)} ms/receipt  mean group commit ${round(x.batch, 1)}`);
  }
}
const median = (a: number[]) => percentile([...a].sort((x, y) => x - y), 50);
const med = (l: Layer) => ({ rate: median(results[l].map((x) => x.rate)), cpu: median(results[l].map((x) => x.cpu)) });
const http = med('http');
const node = med('node');
const koa = med('koa');
const box = med('box');
console.log(`medians: http alone ${round(http.rate, 0)}/s, node ${round(node.rate, 0)}/s, koa ${round(koa.rate, 0)}/s, box ${round(box.rate, 0)}/s; box/node ${round(box.rate / node.rate, 3)}, box/koa ${round(box.rate / koa.rate, 3)}`);
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  http_alone_per_s: round(http.rate, 1), http_alone_cpu_ms: round(http.cpu, 3), node_receipts_per_s: round(node.rate, 1), koa_receipts_per_s: round(koa.rate, 1), box_receipts_per_s: round(box.rate, 1),
  box_vs_node: round(box.rate / node.rate, 3), box_vs_koa: round(box.rate / koa.rate, 3),
  node_cpu_ms: round(node.cpu, 3), koa_cpu_ms: round(koa.cpu, 3), box_cpu_ms: round(box.cpu, 3),
  client: CLIENT, concurrency: CONC, rounds: ROUNDS, cpu: facts.cpu, cores: facts.cores, node: facts.node, loadavg_1m: facts.loadavg_1m,
}));
