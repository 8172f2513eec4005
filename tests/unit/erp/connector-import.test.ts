// Seed W7.2 (test_connector_import): profile creation, a job run on generated data, row-level
// validation errors, CP1251 + decimal comma CSV, streaming XLSX, idempotent upsert.
import { createReadStream, readdirSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../hub/erp/domain/errors.js';
import { parseMoney } from '../../../hub/erp/import/row-mapper.js';
import { writeFramesCsv, writeLensesXlsx } from '../../../hub/erp/samples/price-files.js';
import { silentLogger } from '../../../shared/logger.js';
import { createErpServices } from '../../../hub/erp/services.js';
import { CSV_PROFILE, erpFixture, OPTICIAN, type ErpFixture } from '../../support/erp.js';
import { productFormValues } from '../../../hub/erp/domain/products.js';

const XLSX_PROFILE = {
  name: 'LensVision', supplier: 'LensVision', format: 'xlsx', match_key: 'barcode', default_kind: 'lens',
  mapping: { supplier_code: 'Code', barcode: 'EAN', name: 'Description', cost: 'Cost', price: 'Retail' },
};

async function importFile(f: ErpFixture, path: string, profileId: number, filename: string) {
  const upload = await f.s.imports.saveUpload(createReadStream(path), filename, OPTICIAN);
  const job = f.s.imports.create(upload.id, profileId, OPTICIAN);
  return f.s.imports.start(job.id);
}

describe('supplier price-list import (W7.2)', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture(); });
  afterEach(() => f.close());

  it('test_import_profile_creation: mapping, match key, encoding; every bad field named', () => {
    const p = f.s.profiles.create(CSV_PROFILE, OPTICIAN);
    expect(p).toMatchObject({ format: 'csv', encoding: 'cp1251', decimal_comma: true, match_key: 'supplier_code' });
    expect(p.mapping.price).toBe('Цена');
    let err: unknown;
    try {
      f.s.profiles.create({ name: 'ОптМаркет', supplier: '', format: 'ods', encoding: 'koi8', match_key: 'barcode', mapping: { name: 'N', colour: 'C' } }, OPTICIAN);
    } catch (e) { err = e; }
    expect((err as ValidationError).errors.map((e) => e.field).sort()).toEqual(['encoding', 'format', 'mapping.barcode', 'mapping.colour', 'mapping.price', 'supplier']);
    expect(f.s.profiles.list()).toHaveLength(1);
  });

  it('test_import_job_run: generated CP1251 CSV creates products; the same file again changes nothing', async () => {
    const p = f.s.profiles.create(CSV_PROFILE, OPTICIAN);
    const file = join(f.dir, 'frames.csv');
    await writeFramesCsv(file, 1200);
    const job = await importFile(f, file, p.id, 'frames.csv');
    expect(job).toMatchObject({ state: 'done', rows_total: 1200, created: 1200, updated: 0, unchanged: 0, failed: 0 });
    expect(job.bytes_read).toBe(job.bytes_total);
    const prod = f.s.products.list({ q: 'OM-000007' }, { page: 1, per_page: 5 }).items[0];
    expect(prod).toMatchObject({ name: 'Оправа «Silhouette» модель 7', kind: 'frame', supplier: 'ОптМаркет', cost: 158750, price: 317500 });
    const before = f.db.prepare('SELECT updated_at FROM erp_products ORDER BY id').all();
    const again = await importFile(f, file, p.id, 'frames.csv');
    expect(again).toMatchObject({ state: 'done', rows_total: 1200, created: 0, updated: 0, unchanged: 1200, failed: 0 });
    expect(f.db.prepare('SELECT updated_at FROM erp_products ORDER BY id').all()).toEqual(before);
    await writeFramesCsv(file, 1200, { priceBump: 100 });
    const changed = await importFile(f, file, p.id, 'frames.csv');
    expect(changed).toMatchObject({ created: 0, updated: 1200, unchanged: 0 });
  });

  it('test_import_validation: bad rows are logged with row, column and reason; the rest import', async () => {
    const p = f.s.profiles.create(CSV_PROFILE, OPTICIAN);
    const lines = [
      'Артикул;Штрихкод;Наименование;Бренд;Вид;Закупка;Цена',
      'A-1;4600000000015;Оправа 1;X;оправа;100,00;1 250,50',
      'A-2;12AB;Оправа 2;X;оправа;100;200',
      'A-3;;;X;оправа;100;200',
      'A-4;;Оправа 4;X;ракета;100;200',
      ';;Оправа 5;X;;100;200',
      'A-6;;Оправа 6;X;;100;12.345',
      'A-7;;Оправа 7;X;;;300',
    ];
    const file = join(f.dir, 'bad.csv');
    writeFileSync(file, iconv.encode(lines.join('\r\n'), 'win1251'));
    const job = await importFile(f, file, p.id, 'bad.csv');
    expect(job).toMatchObject({ state: 'done', rows_total: 7, created: 2, failed: 5 });
    const errs = f.s.imports.errors(job.id, { page: 1, per_page: 50 }).items;
    expect(errs.map((e) => [e.row_number, e.column_name])).toEqual([[3, 'Штрихкод'], [4, 'Наименование'], [5, 'Вид'], [6, 'Артикул'], [7, 'Цена']]);
    expect(errs[4]?.reason).toContain('12.345');
    expect(f.s.products.list({ q: 'A-1' }, { page: 1, per_page: 5 }).items[0]?.price).toBe(125050);
  });

  it('refuses a row the product form could not save, and makes up a SKU the form can', async () => {
    const longName = `Оправа ${'Я'.repeat(150)}`;
    const lines = [
      'Артикул;Штрихкод;Наименование;Бренд;Вид;Закупка;Цена',
      `${'C'.repeat(61)};;Оправа длинный код;X;оправа;100;200`,
      `;;${longName};X;оправа;100;200`,
    ];
    const file = join(f.dir, 'long.csv');
    writeFileSync(file, iconv.encode(lines.join('\r\n'), 'win1251'));
    // Matched by name, so the second row (no code, no barcode) is importable.
    const byName = f.s.profiles.create({ ...CSV_PROFILE, name: 'ОптМаркет по имени', match_key: 'name' }, OPTICIAN);
    const job = await importFile(f, file, byName.id, 'long.csv');
    expect(job).toMatchObject({ state: 'done', created: 1, failed: 1 });
    const errs = f.s.imports.errors(job.id, { page: 1, per_page: 50 }).items;
    expect(errs.map((e) => [e.row_number, e.column_name])).toEqual([[2, 'Артикул']]);
    expect(errs[0]?.reason).toMatch(/supplier_code is longer than 60/);
    // The made-up SKU (supplier/name, 167 characters) passes the product form's own validator.
    const made = f.s.products.list({ q: 'Оправа Я' }, { page: 1, per_page: 5 }).items[0]!;
    expect(made.sku.length).toBeGreaterThan(60);
    const saved = f.s.products.update(made.id, productFormValues(made), OPTICIAN);
    expect(saved.sku).toBe(made.sku);
  });

  it('streams XLSX through the exceljs WorkbookReader, matching by barcode', async () => {
    const p = f.s.profiles.create(XLSX_PROFILE, OPTICIAN);
    const file = join(f.dir, 'lenses.xlsx');
    await writeLensesXlsx(file, 300);
    const job = await importFile(f, file, p.id, 'lenses.xlsx');
    expect(job).toMatchObject({ state: 'done', rows_total: 300, created: 300, failed: 0 });
    expect(f.s.products.list({ kind: 'lens' }, { page: 1, per_page: 1 }).total).toBe(300);
    const again = await importFile(f, file, p.id, 'lenses.xlsx');
    expect(again).toMatchObject({ unchanged: 300, created: 0, updated: 0 });
  });

  it('reads rich text and formula cells in XLSX', async () => {
    const p = f.s.profiles.create(XLSX_PROFILE, OPTICIAN);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('P');
    ws.addRow(['Code', 'EAN', 'Description', 'Cost', 'Retail']);
    ws.addRow(['C1', '4600000000015', { richText: [{ text: 'Линза ' }, { text: '1.60' }] }, 10, { formula: 'D2*2', result: 20 }]);
    const file = join(f.dir, 'rich.xlsx');
    await wb.xlsx.writeFile(file);
    const rows = await f.s.imports.preview((await f.s.imports.saveUpload(createReadStream(file), 'rich.xlsx', OPTICIAN)).id, p.id);
    expect(rows[0]?.mapped).toEqual({ ok: true, row: expect.objectContaining({ name: 'Линза 1.60', cost: 1000, price: 2000 }) });
  });

  it('preview shows the first 10 mapped rows and writes nothing; a wrong-format profile is refused', async () => {
    const p = f.s.profiles.create(CSV_PROFILE, OPTICIAN);
    const x = f.s.profiles.create(XLSX_PROFILE, OPTICIAN);
    const file = join(f.dir, 'frames.csv');
    await writeFramesCsv(file, 50, { badEvery: 4 });
    const up = await f.s.imports.saveUpload(createReadStream(file), 'frames.csv', OPTICIAN);
    const rows = await f.s.imports.preview(up.id, p.id);
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => r.row_number)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(rows.filter((r) => !r.mapped.ok).map((r) => r.row_number)).toEqual([5, 9]);
    expect(f.s.products.list({}, { page: 1, per_page: 1 }).total).toBe(0);
    await expect(f.s.imports.preview(up.id, x.id)).rejects.toThrow(ValidationError);
  });

  it('an unreadable file fails the job with a reason instead of crashing', async () => {
    const p = f.s.profiles.create(XLSX_PROFILE, OPTICIAN);
    const file = join(f.dir, 'fake.xlsx');
    writeFileSync(file, 'this is not a zip file at all');
    const job = await importFile(f, file, p.id, 'fake.xlsx');
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/cannot be read as XLSX/);
  });

  it('a job cut off by a restart is marked failed at start-up, and the file can be imported again', async () => {
    const p = f.s.profiles.create(CSV_PROFILE, OPTICIAN);
    const file = join(f.dir, 'frames.csv');
    await writeFramesCsv(file, 20);
    const up = await f.s.imports.saveUpload(createReadStream(file), 'frames.csv', OPTICIAN);
    const job = f.s.imports.create(up.id, p.id, OPTICIAN);
    f.db.prepare("UPDATE erp_import_jobs SET state = 'running' WHERE id = ?").run(job.id);
    const restarted = createErpServices({ db: f.db, logger: silentLogger(), dataDir: f.dir, now: () => f.clock.now });
    expect(restarted.imports.get(job.id)).toMatchObject({ state: 'failed', error: expect.stringContaining('restart') });
    const again = restarted.imports.create(up.id, p.id, OPTICIAN);
    expect(await restarted.imports.start(again.id)).toMatchObject({ state: 'done', created: 20 });
  });

  it('an upload over the size limit is refused with 413 and leaves no file behind', async () => {
    const small = createErpServices({ db: f.db, logger: silentLogger(), dataDir: join(f.dir, 'small'), now: () => f.clock.now, maxUploadBytes: 1000 });
    let err: { status?: number } | undefined;
    try { await small.imports.saveUpload(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 'big.csv', OPTICIAN); } catch (e) { err = e as typeof err; }
    expect(err?.status).toBe(413);
    expect(readdirSync(join(f.dir, 'small', 'erp-uploads'))).toEqual([]);
    expect(f.db.prepare('SELECT COUNT(*) AS n FROM erp_import_uploads').get()).toEqual({ n: 0 });
  });

  it('parses money exactly: decimal comma, thousands spaces, currency sign; refuses ambiguity', () => {
    expect(parseMoney('1 234,50', true)).toBe(123450);
    expect(parseMoney('1.234,50', true)).toBe(123450);
    expect(parseMoney('99,9 ₽', true)).toBe(9990);
    expect(parseMoney('0,1', true)).toBe(10);
    expect(parseMoney('1,5', false)).toBeNull();
    expect(parseMoney(1234.56, false)).toBe(123456);
    expect(parseMoney('-5', true)).toBeNull();
  });
});
