// UAT-10c and beyond: sales from several POS clients while the box is SIGKILLed at random
// moments and restarted, N times; then every acknowledged receipt must be in the buffer
// exactly once. What is on main decides the stack: today the box alone (no printer driver,
// no hub yet), so `reconciled` counts FN reconciliations the box reported (0 without a printer).
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { integrityCheck, openDatabase } from '../../shared/db.js';
import { BoxProcess } from './box-process.js';
import { startPosClients } from './pos-clients.js';

export interface CrashOptions {
  cycles: number;
  clients: number;
  /** The box is killed this long after it listens: uniform in [minUpMs, maxUpMs]. */
  minUpMs: number;
  maxUpMs: number;
  dir: string;
  seed: number;
  progress?: (cycle: number, acknowledged: number) => void;
}

export interface CrashResult {
  cycles: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  reconciled: number;
  stack: string;
  attempts: number;
  retries: number;
  unexpected: number;
  corrupt_set_aside: number;
  integrity: string;
  final_exit_code: number | null;
  restart_ms_p50: number;
  restart_ms_max: number;
  seconds: number;
}

/** mulberry32: a seeded PRNG, so a failing run can be repeated with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOKEN = 'crash-harness-pos-token-0001';

export async function runCrashCycles(o: CrashOptions): Promise<CrashResult> {
  const t0 = performance.now();
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const dataDir = join(o.dir, 'data');
  const configFile = join(o.dir, 'box.json');
  writeFileSync(configFile, JSON.stringify({
    nodeId: 'crashbox', dataDir, logLevel: 'info',
    api: { port: 0, posTokens: [TOKEN], shutdownGraceMs: 5000 },
    buffer: { capacity: 10_000_000 },
    health: { diskPollMs: 3_600_000, minFreeDiskBytes: 0 },
    power: { gpio: 'none' },
  }));
  const rand = prng(o.seed);

  let url: string | null = null;
  const waiters: ((u: string) => void)[] = [];
  const endpoint = { up: () => (url ? Promise.resolve(url) : new Promise<string>((r) => waiters.push(r))) };
  const setUp = (u: string | null) => {
    url = u;
    if (u) for (const w of waiters.splice(0)) w(u);
  };

  const restarts: number[] = [];
  const startBox = async (): Promise<BoxProcess> => {
    const p = new BoxProcess(configFile);
    const s = performance.now();
    setUp(await p.start());
    restarts.push(performance.now() - s);
    return p;
  };

  let box = await startBox();
  const clients = startPosClients(o.clients, TOKEN, endpoint);
  for (let c = 1; c <= o.cycles; c++) {
    await sleep(o.minUpMs + rand() * (o.maxUpMs - o.minUpMs));
    setUp(null);
    await box.kill();
    box = await startBox();
    o.progress?.(c, clients.acks.byKey.size);
  }
  // Let the clients finish their open sales on a live box, then stop it the orderly way.
  await clients.stop();
  setUp(null);
  const finalCode = await box.terminate();

  const db = openDatabase(join(dataDir, 'box.db'), { readonly: true });
  const integrity = integrityCheck(db);
  const rows = db.prepare('SELECT id, idempotency_key AS k FROM receipts').all() as { id: string; k: string }[];
  const reconciled = (db.prepare("SELECT COUNT(*) AS n FROM receipt_events WHERE event = 'reconciled'").get() as { n: number }).n;
  db.close();
  const idByKey = new Map<string, string[]>();
  for (const r of rows) idByKey.set(r.k, [...(idByKey.get(r.k) ?? []), r.id]);

  let lost = 0;
  let duplicated = 0;
  for (const [key, ids] of clients.acks.byKey) {
    const stored = idByKey.get(key) ?? [];
    // Two different ids acknowledged for one sale, or one sale stored twice: a duplicate.
    if (ids.size > 1 || stored.length > 1) duplicated += 1;
    for (const id of ids) if (!stored.includes(id)) lost += 1;
  }
  const sorted = [...restarts].sort((a, b) => a - b);
  return {
    cycles: o.cycles,
    acknowledged: clients.acks.byKey.size,
    lost,
    duplicated,
    reconciled,
    stack: 'box (no printer driver or hub on main yet)',
    attempts: clients.acks.attempts,
    retries: clients.acks.retries,
    unexpected: clients.acks.unexpected.length,
    corrupt_set_aside: existsSync(dataDir) ? readdirSync(dataDir).filter((f) => f.includes('.corrupt-')).length : 0,
    integrity: integrity.ok ? 'ok' : integrity.problems.join('; '),
    final_exit_code: finalCode,
    restart_ms_p50: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    restart_ms_max: Math.round(sorted.at(-1) ?? 0),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
