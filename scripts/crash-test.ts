// `npm run crash-test -- --cycles N [--clients 4] [--min-up-ms 150] [--max-up-ms 900] [--seed S] [--dir D] [--no-printer]`
// Kills the box N times under concurrent sales and checks nothing acknowledged was lost or
// duplicated. Prints machine facts, progress, and ends with one JSON line.
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
  },
});
const n = (k: keyof typeof values) => {
  const v = Number(values[k]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${k} must be a non-negative integer (got ${String(values[k])})`);
    process.exit(64);
  }
  return v;
};
const dir = resolve(values.dir);
const opts = { printer: !values['no-printer'], cycles: n('cycles'), clients: n('clients'), minUpMs: n('min-up-ms'), maxUpMs: n('max-up-ms'), seed: n('seed'), dir };
console.log('machine:', JSON.stringify(machineFacts(process.cwd())));
console.log(`crash test: ${opts.printer ? 'box + printer emulator' : 'box alone'}, ${opts.cycles} SIGKILL cycles, ${opts.clients} POS clients, box up ${opts.minUpMs}-${opts.maxUpMs} ms per cycle, seed ${opts.seed}, data in ${dir}`);
const every = Math.max(1, Math.round(opts.cycles / 20));
const result = await runCrashCycles({
  ...opts,
  progress: (c, acked) => { if (c % every === 0) console.log(`  cycle ${c}/${opts.cycles}: ${acked} acknowledged so far`); },
});
const ok = result.lost === 0 && result.duplicated === 0 && result.integrity === 'ok' && !result.fiscal_unknown && !result.acknowledged_not_printed;
console.log(ok
  ? `${result.lost} lost, ${result.duplicated} duplicated (${result.acknowledged} acknowledged over ${result.cycles} kills)`
  : `FAILED: ${result.lost} lost, ${result.duplicated} duplicated, ${String(result.fiscal_unknown)} fiscal documents unknown to the box, ${String(result.acknowledged_not_printed)} acknowledged but not printed, integrity ${result.integrity}`);
console.log(JSON.stringify(result));
process.exitCode = ok ? 0 : 1;
