// The POS load for bench:accept and bench:accept:ceiling: concurrent clients posting sales, each
// with a fresh Idempotency-Key. Two load generators:
//   wrk  (default) - the C HTTP benchmarking tool (Debian package `wrk`), ~0.02 ms of CPU per
//                    request. Real POS terminals are other machines; on a 2-core test machine
//                    the load generator's CPU is taken from the box, so it must be small.
//   node           - node:http clients in a child process (accept-clients.ts), ~0.1-0.2 ms of
//                    CPU per request: every figure before 2026-11-26 05:20 UTC was measured with it.
// Both warm up for about a second first, unmeasured: a box measured in its first second runs
// code the JIT has not optimised yet, at about half its warm speed.
import { execFileSync, fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { percentile } from './machine-facts.js';

export type LoadClient = 'wrk' | 'node';

export const BENCH_SALE = JSON.stringify({
  pos_id: 'POS-001', type: 'sale',
  items: [{ name: 'Frame Ray-Ban RB5154', qty: 1, price: 8990, product_id: 'PROD-001' }, { name: 'Lens 1.6 AR', qty: 2, price: 3450.5 }],
  payments: [{ method: 'card', amount: 15891 }],
});

export interface LoadResult {
  client: LoadClient;
  /** Answered in the measured phase (every one 201, or the run throws). */
  requests: number;
  /** Sent in the warm-up phase (not measured, but stored by the box). */
  warmup: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  clientCpuMsPerRequest: number;
}

export interface LoadOptions {
  url: string;
  token: string;
  concurrency: number;
  /** wrk: measured seconds. */
  seconds: number;
  /** node: measured requests. */
  count: number;
  /** node: extra execArgv for the client process (a CPU profile). */
  execArgv?: string[];
  /** Called when the warm-up is over and the measured phase starts (the box's CPU is read then). */
  onMeasured?: () => void;
}

export function loadClient(env = process.env): LoadClient {
  const c = env.BENCH_CLIENT ?? 'wrk';
  if (c !== 'wrk' && c !== 'node') throw new Error(`BENCH_CLIENT must be wrk or node, not ${c}`);
  if (c === 'wrk') {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    } catch (err) {
      // wrk --version exits 1 after printing; only a missing binary is a problem.
      if ((err as { code?: string }).code === 'ENOENT') {
        throw new Error('wrk not found: install it (sudo apt-get install wrk, see README), or run with BENCH_CLIENT=node for the slower node:http load generator');
      }
    }
  }
  return c;
}

export function postSales(client: LoadClient, o: LoadOptions): Promise<LoadResult> {
  return client === 'wrk' ? wrkLoad(o) : nodeLoad(o);
}

interface WrkRun { requests: number; duration_us: number; non2xx: number; socket_errors: number; p50_us: number; p95_us: number; p99_us: number; cpuMs: number }

function wrk(o: LoadOptions, seconds: number): Promise<WrkRun> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`wrk runs whole seconds: BENCH_SECONDS must be an integer >= 1, not ${seconds}`);
  const script = join(import.meta.dirname, 'receipt-post.lua');
  const target = new URL('/v1/kkt/receipt', o.url).href;
  // bash's `times` reports the CPU its child (wrk) used: the load generator's cost. LC_ALL=C:
  // in a locale with a decimal comma its "0m1,234s" would not parse.
  const cmd = 'wrk "$@"; rc=$?; times >&2; exit $rc';
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', cmd, 'wrk', '-t1', `-c${o.concurrency}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, target], {
      env: { ...process.env, LC_ALL: 'C', POS_TOKEN: o.token, RECEIPT_BODY: BENCH_SALE, KEY_PREFIX: randomUUID() },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    // 'close', not 'exit': only then has all of its output been read.
    p.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) return reject(new Error(`wrk failed (exit ${code}): ${out.trim()}\n${err.trim()}`));
      // `times`: line 1 the shell's own user/sys, line 2 its children's, e.g. "0m1.234s 0m0.567s".
      const times = [...(err.trim().split('\n').pop() ?? '').matchAll(/(\d+)m([\d.]+)s/g)];
      if (times.length !== 2) return reject(new Error(`cannot read wrk's CPU time from bash's times: ${err.trim()}`));
      const cpuMs = times.reduce((s, m) => s + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
      resolve({ ...(JSON.parse(last) as Omit<WrkRun, 'cpuMs'>), cpuMs });
    });
  });
}

async function wrkLoad(o: LoadOptions): Promise<LoadResult> {
  // Warm-up (connections, JIT), not measured. Each run is its own wrk process, so its CPU is its own.
  const warm = await wrk(o, 1);
  o.onMeasured?.();
  const run = await wrk(o, o.seconds);
  if (warm.non2xx + warm.socket_errors + run.non2xx + run.socket_errors > 0) {
    throw new Error(`the box refused or dropped requests: ${warm.non2xx + run.non2xx} answers >= 400, ${warm.socket_errors + run.socket_errors} socket errors`);
  }
  if (run.requests === 0) throw new Error('wrk got no answer in the measured run');
  const seconds = run.duration_us / 1e6;
  return {
    client: 'wrk', requests: run.requests, warmup: warm.requests, seconds, perSecond: run.requests / seconds,
    p50Ms: run.p50_us / 1000, p95Ms: run.p95_us / 1000, p99Ms: run.p99_us / 1000,
    clientCpuMsPerRequest: run.cpuMs / run.requests,
  };
}

async function nodeLoad(o: LoadOptions): Promise<LoadResult> {
  const child = fork(join(import.meta.dirname, 'accept-clients.ts'), [o.url, o.token, String(o.count), String(o.concurrency)], { execArgv: ['--import', 'tsx', ...(o.execArgv ?? [])] });
  const m = await new Promise<{ latencies: number[]; seconds: number; warmup: number; clientCpuMsPerRequest: number }>((res, rej) => {
    child.on('message', (x) => {
      if ((x as { phase?: string }).phase === 'measuring') o.onMeasured?.();
      else res(x as { latencies: number[]; seconds: number; warmup: number; clientCpuMsPerRequest: number });
    });
    child.once('exit', (code) => code !== 0 && rej(new Error(`client process exited ${code}`)));
  });
  const lat = m.latencies.sort((a, b) => a - b);
  return {
    client: 'node', requests: lat.length, warmup: m.warmup, seconds: m.seconds, perSecond: lat.length / m.seconds,
    p50Ms: percentile(lat, 50), p95Ms: percentile(lat, 95), p99Ms: percentile(lat, 99), clientCpuMsPerRequest: m.clientCpuMsPerRequest,
  };
}
