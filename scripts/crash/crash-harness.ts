// UAT-10c and beyond: sales from several POS clients while the box is SIGKILLed at random
// moments and restarted, N times; then every acknowledged receipt must be in the buffer
// exactly once. With `printer` the box prints on the Shtrih-M emulator (a real PTY; the
// emulator, like a printer on its own supply, survives the box's kills), so kills land
// mid-print: every fiscal document in the emulator's FN must then belong to exactly one
// receipt the box knows as printed (start-up reconciliation, never a blind reprint).
// The hub and test OFD are not on main yet: "every document at the OFD once" is not checked.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
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
  /** Print on the Shtrih-M emulator (needs socat). */
  printer: boolean;
  progress?: (cycle: number, acknowledged: number) => void;
}

export interface CrashResult {
  cycles: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  reconciled: number;
  stack: string;
  /** Fiscal documents in the FN that no printed receipt of the box refers to (must be 0). */
  fiscal_unknown: number | null;
  fiscal_documents: number | null;
  /** Acknowledged receipts not `printed` at the end (must be 0 with a printer). */
  acknowledged_not_printed: number | null;
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
  let emu: ShtrihEmulator | null = null;
  if (o.printer) {
    mkdirSync(join(o.dir, 'kkt'), { recursive: true });
    // Realistic timings (the emulator CLI's): an FN write per document, a print head per line.
    emu = await ShtrihEmulator.onPty({ dir: join(o.dir, 'kkt'), printLineMs: 5, fnDocMs: 150 });
  }
  writeFileSync(configFile, JSON.stringify({
    nodeId: 'crashbox', dataDir, logLevel: 'info',
    api: { port: 0, posTokens: [TOKEN], shutdownGraceMs: 5000 },
    buffer: { capacity: 10_000_000 },
    health: { diskPollMs: 3_600_000, minFreeDiskBytes: 0 },
    power: { gpio: 'none' },
    ...(emu ? { printer: { enabled: true, path: emu.hostPath, ackTimeoutMs: 300, replyPollMs: 300, connectWaitMs: 10_000, reconcileWaitMs: 3000 } } : {}),
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
  const warnings: string[] = [];
  const startBox = async (): Promise<BoxProcess> => {
    const p = new BoxProcess(configFile, warnings);
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
  const rows = db.prepare('SELECT id, idempotency_key AS k, status, fiscal_data FROM receipts').all() as { id: string; k: string; status: string; fiscal_data: string | null }[];
  db.close();
  // The box logs each receipt it found fiscalised in the FN after a crash (box-fiscaliser.ts).
  const reconciled = warnings.filter((l) => l.includes('caught mid-print was fiscalised')).length;
  let fiscalUnknown: number | null = null;
  let fiscalDocs: number | null = null;
  let ackNotPrinted: number | null = null;
  const statusById = new Map(rows.map((r) => [r.id, r.status]));
  if (emu) {
    const fnReceipts = emu.fn.state.docs.filter((d) => d.form === 3).map((d) => d.fd);
    const known = new Map<number, number>();
    for (const r of rows) {
      if (r.status !== 'printed' || !r.fiscal_data) continue;
      const fd = (JSON.parse(r.fiscal_data) as { fiscal_document_number: number }).fiscal_document_number;
      known.set(fd, (known.get(fd) ?? 0) + 1);
    }
    fiscalDocs = fnReceipts.length;
    fiscalUnknown = fnReceipts.filter((fd) => !known.has(fd)).length;
    ackNotPrinted = 0;
    for (const ids of clients.acks.byKey.values()) for (const id of ids) if (statusById.get(id) !== 'printed') ackNotPrinted += 1;
    await emu.stop();
  }
  const idByKey = new Map<string, string[]>();
  for (const r of rows) idByKey.set(r.k, [...(idByKey.get(r.k) ?? []), r.id]);

  let lost = 0;
  let duplicated = 0;
  if (emu) {
    const byFd = new Map<number, number>();
    for (const r of rows) {
      if (!r.fiscal_data) continue;
      const fd = (JSON.parse(r.fiscal_data) as { fiscal_document_number: number }).fiscal_document_number;
      byFd.set(fd, (byFd.get(fd) ?? 0) + 1);
    }
    for (const n of byFd.values()) if (n > 1) duplicated += n - 1;
  }
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
    stack: emu ? 'box + Shtrih-M emulator on a PTY (hub and test OFD not on main yet)' : 'box alone (no printer)',
    fiscal_unknown: fiscalUnknown,
    fiscal_documents: fiscalDocs,
    acknowledged_not_printed: ackNotPrinted,
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
