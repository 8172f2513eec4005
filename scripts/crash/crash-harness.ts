// UAT-10c and beyond: sales from several POS clients while the box is SIGKILLed at random
// moments and restarted, N times; then every acknowledged receipt must be in the buffer
// exactly once. With `printer` the box prints on the Shtrih-M emulator (a real PTY; the
// emulator, like a printer on its own supply, survives the box's kills), so kills land
// mid-print: every fiscal document in the FN must then belong to exactly one receipt the box
// knows as fiscalised (start-up reconciliation, never a blind reprint). With `hub` the box's
// uplink publishes to the hub (embedded broker, child process) which forwards to the test
// OFD, so kills also land mid-drain; every `hubKillEvery`-th cycle the hub is SIGKILLed too
// (mid-forwarding) and restarted. After the last cycle the backlog must drain: every
// acknowledged receipt reaches the OFD exactly once.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import { BoxProcess } from './box-process.js';
import { HubStack, STORE } from './hub-stack.js';
import { startPosClients } from './pos-clients.js';
import { boxStatusCounts, readBox, verify, type Verdict } from './verify.js';

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
  /** Run the hub + test OFD and enable the box's uplink (needs `printer`: documents come from the FN). */
  hub?: boolean;
  /** Every k-th cycle also SIGKILLs the hub mid-forwarding (0: never). */
  hubKillEvery?: number;
  /** Each OFD answer takes this long (forwarding stays in flight). */
  ofdDelayMs?: number;
  /** How long the backlog may take to reach the OFD after the last cycle. */
  drainTimeoutMs?: number;
  /** Chance (0..1) that a POS abandons and cancels a sale the printer could not finish. */
  cancelShare?: number;
  /**
   * Every k-th cycle the printer fails for that cycle (0: never), alternately: a receipt
   * closed by the FN whose answer is lost, the line silent after it (504, fiscalised); or
   * out of paper (503, not fiscalised). Cleared while the box is down, before its restart.
   */
  printerFaultEvery?: number;
  progress?: (cycle: number, acknowledged: number) => void;
}

export interface CrashResult extends Verdict {
  cycles: number;
  acknowledged: number;
  reconciled: number;
  stack: string;
  hub_kills: number;
  /** Cycles with a printer fault (see CrashOptions.printerFaultEvery). */
  printer_faults: number;
  /** Hub kills with documents stored at the hub but not yet confirmed by the OFD. */
  hub_kills_mid_forwarding: number;
  /** Box kills with fiscalised receipts not yet synced (mid-drain) / sales not yet printed (mid-print). */
  box_kills_mid_drain: number | null;
  box_kills_mid_print: number | null;
  /** OFD tickets the printer's FN did not take at once (busy after a restart); asked again later. */
  fn_ticket_retries: number;
  hub_stored: number | null;
  hub_dlq: number | null;
  drain_ms: number | null;
  /** Cancels the POS clients sent (a confirmed one ends its sale; see Verdict.cancelled). */
  cancel_attempts: number;
  attempts: number;
  retries: number;
  unexpected: number;
  corrupt_set_aside: number;
  integrity: string;
  final_exit_code: number | null;
  hub_exit_code: number | null;
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
const BOX = { id: 'crashbox', secret: 'crash-harness-box-secret' };

export async function runCrashCycles(o: CrashOptions): Promise<CrashResult> {
  const t0 = performance.now();
  const withHub = o.hub ?? false;
  if (withHub && !o.printer) throw new Error('the hub path needs the printer: the documents the uplink sends are read from the FN');
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
  const hub = withHub ? await HubStack.start(o.dir, BOX, o.ofdDelayMs ?? 100) : null;
  writeFileSync(configFile, JSON.stringify({
    nodeId: BOX.id, dataDir, logLevel: 'info',
    api: { port: 0, posTokens: [TOKEN], shutdownGraceMs: 5000 },
    buffer: { capacity: 10_000_000 },
    health: { diskPollMs: 3_600_000, minFreeDiskBytes: 0 },
    power: { gpio: 'none' },
    ...(emu ? { printer: { enabled: true, path: emu.hostPath, ackTimeoutMs: 300, replyPollMs: 300, connectWaitMs: 10_000, reconcileWaitMs: 3000 } } : {}),
    ...(hub ? { uplink: { enabled: true, url: hub.mqttUrl, storeId: STORE, boxId: BOX.id, secret: BOX.secret, pollMs: 100, ackTimeoutMs: 3000, heartbeatMs: 60_000 } } : {}),
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
  // Its own seeded stream: the clients' choices do not shift the kill timings of a seed.
  const clients = startPosClients(o.clients, TOKEN, endpoint, o.cancelShare ?? 0, prng(o.seed + 1));
  let hubKills = 0;
  let hubKillsMidForwarding = 0;
  let midDrain = 0;
  let midPrint = 0;
  const upMs = () => o.minUpMs + rand() * (o.maxUpMs - o.minUpMs);
  /** Polls a condition (a few ms apart) for at most `ms`; true when it held. */
  const waitUntil = async (cond: () => boolean, ms: number): Promise<boolean> => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if (cond()) return true;
      await sleep(10);
    }
    return false;
  };
  const boxAckedByHub = () => (boxStatusCounts(dataDir).get('delivered') ?? 0) > 0;
  let printerFaults = 0;
  for (let c = 1; c <= o.cycles; c++) {
    const faultEvery = o.printerFaultEvery ?? 0;
    const printerFault = emu !== null && faultEvery > 0 && c % faultEvery === 0;
    if (printerFault) {
      printerFaults += 1;
      if (printerFaults % 2 === 1) await emu!.applyFault('drop-after', 'ff45');
      else await emu!.applyFault('paper-out');
    }
    const killHub = hub !== null && (o.hubKillEvery ?? 0) > 0 && c % o.hubKillEvery! === 0;
    if (killHub) {
      // The hub dies mid-forwarding (documents stored, the OFD not answered yet); the box goes
      // on selling against a dead broker for a while (its uplink reconnecting) and is then
      // killed too: both come back together.
      await sleep(upMs() / 2);
      // Long enough for a just-restarted box to reconnect and publish: with batched forwarding
      // the hub holds unforwarded documents only while new ones arrive.
      await waitUntil(() => hub.check().pending > 0, Math.max(o.maxUpMs * 3, 10_000));
      hubKills += 1;
      if ((await hub.kill()) > 0) hubKillsMidForwarding += 1;
      await sleep(upMs() / 2);
    } else if (hub && rand() < 0.4) {
      // Mid-drain: right after the hub acked a document and before the OFD's ticket is back.
      await sleep(o.minUpMs);
      await waitUntil(boxAckedByHub, o.maxUpMs * 3);
    } else {
      await sleep(upMs());
    }
    setUp(null);
    await box.kill();
    if (printerFault) {
      await emu!.applyFault('drop-after', 'off');
      await emu!.applyFault('silence', 'off');
      await emu!.applyFault('paper-in');
    }
    if (hub) {
      const s = boxStatusCounts(dataDir);
      if ((s.get('printed') ?? 0) + (s.get('delivered') ?? 0) > 0) midDrain += 1;
      if ((s.get('buffered') ?? 0) > 0) midPrint += 1;
      await hub.restart();
    }
    box = await startBox();
    o.progress?.(c, clients.acks.byKey.size);
  }
  // Let the clients finish their open sales on a live box, then let the backlog drain.
  await clients.stop();
  let drainMs: number | null = null;
  if (hub) {
    const s = performance.now();
    const deadline = s + (o.drainTimeoutMs ?? 120_000);
    const want = clients.acks.byKey.size;
    for (;;) {
      const synced = boxStatusCounts(dataDir).get('synced') ?? 0;
      // Every FN document ticketed too: the shift reports the box found in the FN travel with the sales.
      if (synced >= want && hub.ofdStats().accepted >= want && (emu?.fn.unconfirmed().length ?? 0) === 0) break;
      if (performance.now() > deadline) break; // the checks below say what is missing
      await sleep(200);
    }
    drainMs = Math.round(performance.now() - s);
  }
  setUp(null);
  const finalCode = await box.terminate();
  const hubCheck = hub?.check() ?? null;
  const ofdStats = hub?.ofdStats() ?? null;
  const hubCode = hub ? await hub.stop() : null;

  const { rows, integrity } = readBox(dataDir);
  // The box logs each receipt it found fiscalised in the FN after a crash (box-fiscaliser.ts).
  const reconciled = warnings.filter((l) => l.includes('caught mid-print was fiscalised')).length;
  writeFileSync(join(o.dir, 'box-warnings.log'), warnings.join('\n')); // for a post-mortem
  const verdict = verify(rows, clients.acks, emu, ofdStats);
  await emu?.stop();
  const sorted = [...restarts].sort((a, b) => a - b);
  return {
    cycles: o.cycles,
    acknowledged: clients.acks.byKey.size,
    ...verdict,
    reconciled,
    stack: hub ? 'box (uplink) + Shtrih-M emulator on a PTY + hub with embedded broker (child process) + test OFD'
      : emu ? 'box + Shtrih-M emulator on a PTY (no hub)' : 'box alone (no printer)',
    hub_kills: hubKills,
    printer_faults: printerFaults,
    hub_kills_mid_forwarding: hubKillsMidForwarding,
    box_kills_mid_drain: hub ? midDrain : null,
    box_kills_mid_print: hub ? midPrint : null,
    fn_ticket_retries: warnings.filter((l) => l.includes('the FN did not take the OFD ticket')).length,
    hub_stored: hubCheck?.stored ?? null,
    hub_dlq: hubCheck ? hubCheck.dlq + hubCheck.dead : null,
    drain_ms: drainMs,
    cancel_attempts: clients.acks.cancelAttempts,
    attempts: clients.acks.attempts,
    retries: clients.acks.retries,
    unexpected: clients.acks.unexpected.length,
    corrupt_set_aside: existsSync(dataDir) ? readdirSync(dataDir).filter((f) => f.includes('.corrupt-')).length : 0,
    integrity,
    final_exit_code: finalCode,
    hub_exit_code: hubCode,
    restart_ms_p50: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    restart_ms_max: Math.round(sorted.at(-1) ?? 0),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
