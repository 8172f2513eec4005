// npm run bench:print — API -> fiscal sign latency: sales posted one at a time (one POS) to a
// real box whose printer is the Shtrih-M emulator on a real PTY at 115200 baud (15 ms per
// printed line, 150 ms per FN document; the emulator in its own process). Per receipt: the POS-seen latency, the emulator's own
// time (line time both ways + FN write, counted by the emulator), and the box's overhead (the
// rest: HTTP, durable insert, driver, PTY hop). Target: overhead p95 <= 10 ms. Ends with JSON.
// The POS client is a separate process on node:http (see pos-client.ts).
// Options (env): BENCH_N (200), FN_DOC_MS (150), PRINT_LINE_MS (15), BENCH_RIG (direct | relay):
// `direct` (default) starts the emulator on the master of the pty the box opens (socat makes
// the pty and execs the emulator: one tty between them, as one line is between a box and its
// printer); `relay` puts it behind socat's PTY pair, as the tests and `npm run emulator` do
// (two ttys and socat's relay process in every crossing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Box } from '../../firmware/box.js';
import { loadBoxConfig } from '../../firmware/config.js';
import { fork, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../shared/logger.js';
import { openDatabase } from '../../shared/db.js';
import { SerialPortStream } from '@serialport/stream';
import { DirectIoBinding } from '../../firmware/printer/direct-io-binding.js';
import { PtyPair } from '../../hardware/shtrih-emulator/pty.js';
import { resolvePowerLine } from '../../firmware/power/power-setup.js';
import { SimulatedGpio } from '../../firmware/power/simulated-gpio.js';
import type { Level } from '../../firmware/power/gpio-input.js';
import { machineFacts, percentile, round } from './machine-facts.js';
import type { PostResult } from './http-post.js';

const N = Number(process.env.BENCH_N ?? 200);
const FN_DOC_MS = Number(process.env.FN_DOC_MS ?? 150);
const PRINT_LINE_MS = Number(process.env.PRINT_LINE_MS ?? 15);
const RIG = process.env.BENCH_RIG ?? 'direct';
if (RIG !== 'direct' && RIG !== 'relay') throw new Error(`BENCH_RIG must be direct or relay, not ${RIG}`);
const dir = mkdtempSync(join(tmpdir(), 'bench-print-'));
const token = 'bench-pos-token-0123456789';

console.log('machine:', JSON.stringify(machineFacts(dir)));
const RIG_TEXT = RIG === 'direct' ? 'the emulator on the pty master (one tty, no relay)' : 'the emulator behind socat\'s PTY pair (two ttys and a relay)';
console.log(`receipts: ${N} sequential via POST /v1/kkt/receipt; ${RIG_TEXT} at 115200 baud, FN write ${FN_DOC_MS} ms, print ${PRINT_LINE_MS} ms/line`);

/** Starts `node <script> <args>` on the master of a new pty whose slave is `link` (socat nofork). */
function onPtyMaster(link: string, script: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const cmd = [process.execPath, '--import', 'tsx', script, ...args].join(' ');
  // socat splits EXEC's command at spaces and reads these as its own address syntax.
  if (/[,:!"']/.test(cmd)) throw new Error(`socat cannot pass this command line: ${cmd}`);
  return spawn('socat', [`PTY,link=${link},raw,echo=0`, `EXEC:${cmd},nofork`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
}

// The disk's durable-write time, same folder: a printed sale costs two fsyncs, the FN
// checkpoint before the close (which also flushes the receipt's insert) and the flush of
// "printed" just after the answer.
function rawWriteP50(n: number): number {
  const db = openDatabase(join(dir, 'raw.db'), { synchronous: 'FULL' });
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    ins.run('x'.repeat(400));
    lat.push(performance.now() - s);
  }
  db.close();
  return percentile(lat.sort((a, b) => a - b), 50);
}
const rawBefore = rawWriteP50(100);

// The wire's round trip (socat PTY + node-serialport on both ends, echo in another process):
// what each handshake costs before the box or the emulator do anything. The box's own share
// of the overhead comes from its Server-Timing header (box handling vs. fiscalisation).
async function ptyRoundTrips(n: number): Promise<number[]> {
  const echoScript = fileURLToPath(new URL('./pty-echo.ts', import.meta.url));
  let stopEcho: () => Promise<void>;
  if (RIG === 'direct') {
    const p = onPtyMaster(join(dir, 'echo-b'), echoScript, ['--stdio-pty', join(dir, 'echo-b')]);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: p.stderr! }).on('line', (l) => l === 'ready' && resolve());
      p.once('exit', (code) => reject(new Error(`echo exited with ${code}`)));
    });
    stopEcho = async () => {
      p.kill('SIGTERM');
      if (p.exitCode === null) await new Promise((r) => p.once('exit', r));
    };
  } else {
    const pair = new PtyPair(join(dir, 'echo-a'), join(dir, 'echo-b'));
    await pair.start();
    const echo = fork(echoScript, [join(dir, 'echo-a')], { execArgv: ['--import', 'tsx'] });
    await new Promise((r) => echo.once('message', r));
    stopEcho = async () => {
      echo.disconnect();
      await pair.stop();
    };
  }
  // The box's end as the box opens it (node-serialport with the direct-I/O binding).
  const port = new SerialPortStream({ binding: DirectIoBinding, path: join(dir, 'echo-b'), baudRate: 115200, autoOpen: false, hupcl: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const rtt: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((res) => {
      port.once('data', () => res());
      port.write(Buffer.from([0x05]));
    });
    rtt.push(performance.now() - t);
  }
  await new Promise<void>((r) => port.close(() => r()));
  await stopEcho();
  return rtt.sort((a, b) => a - b);
}
const wire = await ptyRoundTrips(500);

// The emulator runs in its own process, as the real printer is its own device: its CPU time
// is not the box's. Its own time per receipt is read from its control channel.
const emuMain = fileURLToPath(new URL('../../hardware/shtrih-emulator/main.ts', import.meta.url));
const emuArgs = ['--dir', join(dir, 'emu'), '--fn-doc-ms', String(FN_DOC_MS), '--print-line-ms', String(PRINT_LINE_MS), '--no-state-file',
  '--control-file', join(dir, 'control.json')];
const emuEnv = { ...process.env, EMULATOR_READY_JSON: '1' };
// On the pty master the emulator's stdout is the wire, so it says "ready" on stderr.
const emuProc = RIG === 'direct'
  ? onPtyMaster(join(dir, 'kkt'), emuMain, [...emuArgs, '--stdio-pty', join(dir, 'kkt')], emuEnv)
  : spawn(process.execPath, ['--import', 'tsx', emuMain, ...emuArgs], { env: emuEnv, stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise<{ tty: string; control: string }>((resolve, reject) => {
  createInterface({ input: (RIG === 'direct' ? emuProc.stderr : emuProc.stdout)! }).on('line', (l) => {
    if (l.startsWith('{"ready"')) resolve(JSON.parse(l) as { tty: string; control: string });
  });
  emuProc.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
});
const emuState = async () => (await (await fetch(`${ready.control}/state`)).json()) as { link: { deviceMs: number; actualMs: number }; busyRefusals: number };
const emu = { hostPath: ready.tty };
const boxConfig = loadBoxConfig({ env: {}, overrides: {
  dataDir: join(dir, 'box'), logLevel: 'silent', api: { port: 0, posTokens: [token] }, printer: { enabled: true, path: emu.hostPath },
} });
// The power-loss line as a Pi's GPIO is (onoff: an edge wakes the box, nothing between edges),
// not the demo stack's file simulator, which reads its file every 100 ms on the box's thread.
const mainsOn = (1 - resolvePowerLine(boxConfig.power).lossLevel) as Level;
const box = new Box(boxConfig, { log: silentLogger(), gpio: new SimulatedGpio(mainsOn) });
const url = await box.start();

// The POS is its own process (a real one is another machine): its HTTP client's CPU is not
// the box's, and the latency it reports is measured there, request out to response in.
const pos = fork(fileURLToPath(new URL('./pos-client.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
type SaleResult = PostResult & { emu?: { deviceMs: number; actualMs: number } };
function post(body: unknown): Promise<SaleResult> {
  return new Promise((resolve) => {
    pos.once('message', (m) => resolve(m as SaleResult));
    pos.send({ url: `${url}/v1/kkt/receipt`, token, key: randomUUID(), body: JSON.stringify(body), stateUrl: `${ready.control}/state` });
  });
}

/** `box;dur=X, printer;dur=Y` -> { box: X, printer: Y } */
function serverTiming(h: string | undefined): { box: number; printer: number } {
  const get = (name: string) => Number(new RegExp(`${name};dur=([\\d.]+)`).exec(h ?? '')?.[1] ?? NaN);
  return { box: get('box'), printer: get('printer') };
}

async function sale(i: number): Promise<{ ms: number; box: number; printer: number; emu: { deviceMs: number; actualMs: number } }> {
  const price = 1000 + (i % 500);
  const res = await post({ pos_id: 'POS-1', type: i % 5 === 4 ? 'refund' : 'sale', items: [{ name: `Линза ${i}`, qty: 1, price }], payments: [{ method: 'card', amount: price }] });
  const body = JSON.parse(res.body || '{}') as { status: string; fiscal?: { fiscal_sign?: string } };
  if (res.status !== 201 || body.status !== 'printed' || !body.fiscal?.fiscal_sign) throw new Error(`receipt ${i}: ${res.status} ${res.body}`);
  if (!res.emu) throw new Error(`receipt ${i}: the POS could not read the emulator's counters`);
  return { ms: res.ms, ...serverTiming(res.serverTiming), emu: res.emu };
}

for (let i = 0; i < 5; i++) await sale(-1 - i);
const lat: number[] = [];
const emuMs: number[] = [];
const over: number[] = [];
const actual: number[] = [];
// Split of the overhead, from the box's Server-Timing: its own handling outside the printer,
// the HTTP hop and POS client (total - box), the printer path beyond the emulator's own time.
const boxOwn: number[] = [];
const httpHop: number[] = [];
const printerPath: number[] = [];
// The printer path split again with the driver's own clock: time it spent waiting for the
// device's bytes, beyond the emulator's modeled time (the PTY relay and the two processes'
// wake-ups: the test rig's wire), and the box's own time (everything it did while not waiting).
const wireExcess: number[] = [];
const boxTotalOwn: number[] = [];
const tstats = box.printer!.transport.stats;
const cmd0 = { commands: tstats.commands, enqSkipped: tstats.enqSkipped };
for (let i = 0; i < N; i++) {
  const waitBefore = tstats.deviceWaitMs;
  const { ms: dt, box: boxMs, printer: printerMs, emu: e } = await sale(i);
  const waited = tstats.deviceWaitMs - waitBefore;
  const de = e.deviceMs;
  actual.push(dt - e.actualMs);
  lat.push(dt);
  emuMs.push(de);
  over.push(dt - de);
  boxOwn.push(boxMs - printerMs);
  httpHop.push(dt - boxMs);
  printerPath.push(printerMs - de);
  wireExcess.push(waited - de);
  boxTotalOwn.push(boxMs - waited);
}
// How often per receipt the box waits for the device: the ACK of each frame, each reply, and
// the answer to each ENQ it sent.
const commands = tstats.commands - cmd0.commands;
const waitsPerReceipt = (2 * commands + (commands - (tstats.enqSkipped - cmd0.enqSkipped))) / N;
// Sequential: throughput from the receipts themselves (the stats reads in between excluded).
const seconds = lat.reduce((a, b) => a + b, 0) / 1000;
pos.disconnect();
await box.stop();
const rawAfter = rawWriteP50(100);
const busyRefusals = (await emuState()).busyRefusals;
emuProc.kill('SIGTERM');
await new Promise((r) => emuProc.once('exit', r));
rmSync(dir, { recursive: true, force: true });

const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
const L = sorted(lat);
const E = sorted(emuMs);
const O = sorted(over);
console.log(`latency ms: p50 ${round(percentile(L, 50))}, p95 ${round(percentile(L, 95))}, max ${round(L[L.length - 1] ?? NaN)}; emulator p50 ${round(percentile(E, 50))}, p95 ${round(percentile(E, 95))}; overhead p50 ${round(percentile(O, 50))}, p95 ${round(percentile(O, 95))}; ${round(N / seconds, 1)} receipts/s`);
const A = sorted(actual);
console.log(`overhead with the emulator's real elapsed time (its late timers on a busy machine excluded): p50 ${round(percentile(A, 50))}, p95 ${round(percentile(A, 95))}`);
console.log(`print-buffer-full refusals (50h): ${busyRefusals}; slowest receipts (total / emulator ms): ${lat.map((l, i) => [l, emuMs[i] ?? 0] as const).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([l, e]) => `${round(l, 0)}/${round(e, 0)}`).join(', ')}`);
console.log(`durable write on this disk, p50: ${round(rawBefore)} ms before, ${round(rawAfter)} ms after (per printed sale one fsync before the answer, the FN checkpoint, which the insert rides on and which overlaps the first item; "printed" is flushed just after the answer)`);
const BO = sorted(boxOwn);
const HH = sorted(httpHop);
const PP = sorted(printerPath);
console.log(`overhead split (Server-Timing): the box's own handling outside the printer p50 ${round(percentile(BO, 50))} / p95 ${round(percentile(BO, 95))} ms; HTTP hop + POS client p50 ${round(percentile(HH, 50))} / p95 ${round(percentile(HH, 95))} ms; printer path beyond the emulator (driver, wire, checkpoint) p50 ${round(percentile(PP, 50))} / p95 ${round(percentile(PP, 95))} ms`);
const WX = sorted(wireExcess);
const BT = sorted(boxTotalOwn);
console.log(`the box's own time (Server-Timing box minus the driver's waits for the device) p50 ${round(percentile(BT, 50))} / p95 ${round(percentile(BT, 95))} ms; the driver's waits beyond the emulator's modeled time (PTY relay, process wake-ups) p50 ${round(percentile(WX, 50))} / p95 ${round(percentile(WX, 95))} ms`);
// Where the tail comes from: the split of the slowest tenth of receipts by overhead.
const slowest = over.map((o, i) => ({ o, i })).sort((a, b) => b.o - a.o).slice(0, Math.max(1, Math.round(N / 10)));
const mean = (f: (i: number) => number) => round(slowest.reduce((a, { i }) => a + f(i), 0) / slowest.length);
console.log(`the slowest 10 % by overhead (mean ${mean((i) => over[i] ?? 0)} ms): the box's own time ${mean((i) => boxTotalOwn[i] ?? 0)} ms, the rig's wire beyond the model ${mean((i) => wireExcess[i] ?? 0)} ms, HTTP hop + POS ${mean((i) => httpHop[i] ?? 0)} ms`);
const wireP50 = percentile(wire, 50);
console.log(`the wire alone (${RIG === 'direct' ? 'one pty, node-serialport on the box\'s end, the echo on the master' : 'socat PTY pair + node-serialport both ends'}, 1-byte echo in another process): round trip p50 ${round(wireP50, 3)} ms, p95 ${round(percentile(wire, 95), 3)} ms, p99 ${round(percentile(wire, 99), 3)} ms; the box waits for the device ${round(waitsPerReceipt, 1)} times per receipt (frame ACKs, replies, ENQ answers)`);
console.log(JSON.stringify({
  n: N, p50_ms: round(percentile(L, 50)), p95_ms: round(percentile(L, 95)), emulator_p95_ms: round(percentile(E, 95)),
  overhead_p95_ms: round(percentile(O, 95)), overhead_p50_ms: round(percentile(O, 50)), overhead_vs_actual_p95_ms: round(percentile(A, 95)), receipts_per_s: round(N / seconds, 2), box_own_p50_ms: round(percentile(BO, 50)), box_own_p95_ms: round(percentile(BO, 95)), http_hop_p50_ms: round(percentile(HH, 50)), http_hop_p95_ms: round(percentile(HH, 95)), printer_path_p50_ms: round(percentile(PP, 50)), printer_path_p95_ms: round(percentile(PP, 95)), box_total_own_p50_ms: round(percentile(BT, 50)), box_total_own_p95_ms: round(percentile(BT, 95)), wire_excess_p50_ms: round(percentile(WX, 50)), wire_excess_p95_ms: round(percentile(WX, 95)), wire_rtt_p50_ms: round(wireP50, 3), wire_rtt_p95_ms: round(percentile(wire, 95), 3), wire_waits_per_receipt: round(waitsPerReceipt, 1), durable_write_p50_ms: round((rawBefore + rawAfter) / 2), fn_doc_ms: FN_DOC_MS, print_line_ms: PRINT_LINE_MS, rig: RIG,
}));
