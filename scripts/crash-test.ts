// `npm run crash-test -- --cycles N [--clients 4] [--min-up-ms 150] [--max-up-ms 900] [--seed S] [--dir D]
//   [--hub-kill-every 5] [--ofd-delay-ms 100] [--drain-timeout-ms 120000] [--cancel-percent 25] [--printer-fault-every 4] [--no-hub] [--no-printer]`
// Kills the box N times (and the hub every k-th cycle) under concurrent sales, lets the backlog
// drain to the test OFD, and checks nothing acknowledged was lost, duplicated or sent twice.
// Prints machine facts, progress, and ends with one JSON line.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machineFacts } from './bench/machine-facts.js';
import { runCrashCycles } from './crash/crash-harness.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '20' },
    clients: { type: 'string', default: '4' },
    'min-up-ms': { type: 'string', default: '150' },
    'max-up-ms': { type: 'string', default: '900' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    dir: { type: 'string', default: '.tmp/crash-test' },
    'no-printer': { type: 'boolean', default: false },
    'no-hub': { type: 'boolean', default: false },
    'hub-kill-every': { type: 'string', default: '5' },
    'ofd-delay-ms': { type: 'string', default: '100' },
    // Of the sales the printer could not finish (503/504 naming the receipt), the share the
    // POS abandons and cancels instead of retrying.
    'cancel-percent': { type: 'string', default: '25' },
    // Every k-th cycle the printer fails (alternately a lost close answer, and paper out); 0: never.
    'printer-fault-every': { type: 'string', default: '4' },
    // Default: 120 s, or 3 s per cycle if more. Each cycle leaves ~15 documents whose TLV the
    // box reads from the FN over the serial line before uploading them (~10 documents/s), so a
    // 100-cycle run needs ~150 s and a fixed 120 s made it fail with nothing wrong.
    'drain-timeout-ms': { type: 'string' },
  },
});
const n = (k: Exclude<keyof typeof values, 'no-printer' | 'no-hub'>) => {
  const v = Number(values[k] ?? (k === 'drain-timeout-ms' ? Math.max(120_000, 3000 * Number(values.cycles)) : NaN));
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${k} must be a non-negative integer (got ${String(values[k])})`);
    process.exit(64);
  }
  return v;
};
const dir = resolve(values.dir);
const printer = !values['no-printer'];
const opts = {
  printer, hub: printer && !values['no-hub'], hubKillEvery: n('hub-kill-every'), ofdDelayMs: n('ofd-delay-ms'), drainTimeoutMs: n('drain-timeout-ms'), cancelShare: Math.min(100, n('cancel-percent')) / 100, printerFaultEvery: n('printer-fault-every'), cycles: n('cycles'), clients: n('clients'), minUpMs: n('min-up-ms'), maxUpMs: n('max-up-ms'), seed: n('seed'), dir };
console.log('machine:', JSON.stringify(machineFacts(process.cwd())));
const stack = opts.hub ? `box + printer emulator + hub + test OFD (hub killed every ${opts.hubKillEvery || 'never'} cycles)` : opts.printer ? 'box + printer emulator' : 'box alone';
console.log(`crash test: ${stack}, ${opts.cycles} SIGKILL cycles, ${opts.clients} POS clients, box up ${opts.minUpMs}-${opts.maxUpMs} ms per cycle, seed ${opts.seed}, data in ${dir}`);
const every = Math.max(1, Math.round(opts.cycles / 20));
const result = await runCrashCycles({
  ...opts,
  progress: (c, acked) => { if (c % every === 0) console.log(`  cycle ${c}/${opts.cycles}: ${acked} acknowledged so far`); },
});
const r = result;
const ofdOk = !opts.hub || (r.ofd_missing === 0 && r.ofd_unknown === 0 && r.acknowledged_not_synced === 0 && r.ofd_accepted === r.fiscal_documents && r.fn_unconfirmed === 0);
const ok = r.lost === 0 && r.duplicated === 0 && r.integrity === 'ok' && !r.fiscal_unknown && !r.acknowledged_not_printed && r.unexpected === 0 && r.cancelled_inconsistent === 0 && ofdOk;
const ofdLine = opts.hub ? `; OFD accepted ${String(r.ofd_accepted)} of ${String(r.fiscal_documents)} fiscalised (and ${String(r.ofd_reports)} shift reports; ${String(r.fn_unconfirmed)} FN documents left without a ticket), ${String(r.ofd_duplicates)} resubmissions answered as duplicates, ${r.hub_kills} hub kills` : '';
console.log(ok
  ? `${r.lost} lost, ${r.duplicated} duplicated (${r.acknowledged} acknowledged, ${r.cancelled} abandoned sales cancelled and never fiscalised, over ${r.cycles} kills, ${r.printer_faults} with a printer fault${ofdLine})`
  : `FAILED: ${r.lost} lost, ${r.duplicated} duplicated, ${r.cancelled_inconsistent} of ${r.cancelled} cancels inconsistent, ${String(r.fiscal_unknown)} fiscal documents unknown to the box, ${String(r.acknowledged_not_printed)} acknowledged but not printed, ${String(r.acknowledged_not_synced)} not synced, ${String(r.ofd_missing)} missing at the OFD, ${String(r.ofd_unknown)} unknown at the OFD, ${r.unexpected} unexpected answers, integrity ${r.integrity}${ofdLine}`);
console.log(JSON.stringify(result));
process.exitCode = ok ? 0 : 1;
