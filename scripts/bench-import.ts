// npm run bench:import — imports a generated 100,000-row CP1251 CSV price list (and a second
// run of the same file, all "unchanged") into a real hub database on disk, sampling RSS.
// Prints machine facts, then ONE last line of JSON: {rows, rows_per_s, peak_rss_mb, ...}.
// ROWS=n overrides the row count; FORMAT=xlsx benchmarks the XLSX reader instead.
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { openDatabase } from '../shared/db.js';
import { silentLogger } from '../shared/logger.js';
import { SYSTEM_ACTOR } from '../hub/erp/audit/audit.js';
import { createErpServices } from '../hub/erp/services.js';
import { writeFramesCsv, writeLensesXlsx } from '../hub/erp/samples/price-files.js';

const rows = Number(process.env.ROWS || 100_000);
const format = process.env.FORMAT === 'xlsx' ? 'xlsx' : 'csv';
const dir = mkdtempSync(join(tmpdir(), 'erp-bench-'));
const disk = (() => { try { return execSync(`df -h ${dir} | tail -1`).toString().trim().replace(/\s+/g, ' '); } catch { return 'unknown'; } })();
console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}; disk: ${disk}`);

const file = join(dir, `prices.${format}`);
const t0 = performance.now();
if (format === 'xlsx') await writeLensesXlsx(file, rows); else await writeFramesCsv(file, rows, { badEvery: 1000 });
console.log(`generated ${rows} rows (${(statSync(file).size / 2 ** 20).toFixed(1)} MiB ${format.toUpperCase()}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const db = openDatabase(join(dir, 'hub.sqlite'));
const s = createErpServices({ db, logger: silentLogger(), dataDir: dir });
const profile = s.profiles.create(format === 'xlsx'
  ? { name: 'bench', supplier: 'LensVision', format: 'xlsx', match_key: 'barcode', default_kind: 'lens', mapping: { supplier_code: 'Code', barcode: 'EAN', name: 'Description', cost: 'Cost', price: 'Retail' } }
  : { name: 'bench', supplier: 'ОптМаркет', format: 'csv', encoding: 'cp1251', delimiter: ';', decimal_comma: true, match_key: 'supplier_code', default_kind: 'frame',
    mapping: { supplier_code: 'Артикул', barcode: 'Штрихкод', name: 'Наименование', brand: 'Бренд', kind: 'Вид', cost: 'Закупка', price: 'Цена' } }, SYSTEM_ACTOR);

global.gc?.();
let peak = process.memoryUsage().rss;
const baseline = peak;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);

async function run(label: string) {
  const up = await s.imports.saveUpload(createReadStream(file), `prices.${format}`, SYSTEM_ACTOR);
  const job = s.imports.create(up.id, profile.id, SYSTEM_ACTOR);
  const t = performance.now();
  const done = await s.imports.start(job.id);
  const secs = (performance.now() - t) / 1000;
  console.log(`${label}: ${done.state} rows=${done.rows_total} created=${done.created} updated=${done.updated} unchanged=${done.unchanged} failed=${done.failed} in ${secs.toFixed(2)} s (${Math.round(done.rows_total / secs)} rows/s)`);
  return { done, secs };
}

const first = await run('first import');
const second = await run('same file again');
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
db.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  rows: first.done.rows_total, format, rows_per_s: Math.round(first.done.rows_total / first.secs), seconds: Number(first.secs.toFixed(2)),
  reimport_rows_per_s: Math.round(second.done.rows_total / second.secs), reimport_unchanged: second.done.unchanged,
  failed_rows: first.done.failed, peak_rss_mb: Math.round(peak / 2 ** 20), baseline_rss_mb: Math.round(baseline / 2 ** 20),
}));
