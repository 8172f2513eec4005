// A price list that cannot be read to its end changes nothing (the job fails before the first
// write), a file in the other encoding than its profile says is refused with the encoding to
// choose, and control characters in a cell are a row error like any other bad cell.
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../hub/erp/domain/errors.js';
import { writeLensesXlsx } from '../../../hub/erp/samples/price-files.js';
import { CSV_PROFILE, erpFixture, OPTICIAN, type ErpFixture } from '../../support/erp.js';

const UTF8_PROFILE = {
  name: 'UTF-8 CSV', supplier: 'Sup', format: 'csv', encoding: 'utf-8', delimiter: ';', decimal_comma: true, match_key: 'supplier_code',
  default_kind: 'frame', mapping: { supplier_code: 'code', name: 'name', price: 'price' },
};
const XLSX_PROFILE = {
  name: 'LensVision', supplier: 'LensVision', format: 'xlsx', match_key: 'barcode', default_kind: 'lens',
  mapping: { supplier_code: 'Code', barcode: 'EAN', name: 'Description', cost: 'Cost', price: 'Retail' },
};

async function upload(f: ErpFixture, path: string, filename: string) {
  return f.s.imports.saveUpload(createReadStream(path), filename, OPTICIAN);
}

async function importFile(f: ErpFixture, path: string, profileId: number, filename: string) {
  const up = await upload(f, path, filename);
  return f.s.imports.start(f.s.imports.create(up.id, profileId, OPTICIAN).id);
}

const productCount = (f: ErpFixture) => (f.db.prepare('SELECT COUNT(*) AS n FROM erp_products').get() as { n: number }).n;
const errorCount = (f: ErpFixture) => (f.db.prepare('SELECT COUNT(*) AS n FROM erp_import_errors').get() as { n: number }).n;

describe('an import changes nothing unless the whole file can be read', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture(); });
  afterEach(() => f.close());

  it('1200 good rows and an unclosed quote on the last line: failed, no product created or changed', async () => {
    const p = f.s.profiles.create(UTF8_PROFILE, OPTICIAN);
    f.s.products.create({ kind: 'frame', sku: 'Sup/C7', name: 'Frame 7 old', supplier: 'Sup', supplier_code: 'C7', cost: '10', price: '50' }, OPTICIAN);
    const before = f.db.prepare('SELECT * FROM erp_products').all();
    const lines = ['code;name;price'];
    for (let i = 0; i < 1200; i += 1) lines.push(`C${i};Frame ${i};100,00`);
    lines.push('C9999;"Broken frame;100,00');
    const file = join(f.dir, 'quote.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const job = await importFile(f, file, p.id, 'quote.csv');
    expect(job).toMatchObject({ state: 'failed', created: 0, updated: 0, unchanged: 0, failed: 0 });
    expect(job.error).toMatch(/cannot be read as CSV: .*Quote Not Closed.*nothing was imported/);
    expect(f.db.prepare('SELECT * FROM erp_products').all()).toEqual(before);
    expect(productCount(f)).toBe(1);
    expect(errorCount(f)).toBe(0);
  });

  it('an XLSX file cut off after more than a batch of rows: failed, nothing created', async () => {
    const p = f.s.profiles.create(XLSX_PROFILE, OPTICIAN);
    const whole = join(f.dir, 'whole.xlsx');
    await writeLensesXlsx(whole, 3000);
    const bytes = readFileSync(whole);
    const cut = join(f.dir, 'cut.xlsx');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.9)));
    const job = await importFile(f, cut, p.id, 'cut.xlsx');
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/cannot be read as XLSX/);
    expect(productCount(f)).toBe(0);
  });

  it('the whole file is still imported in batches when it reads to its end (progress reaches the file size)', async () => {
    const p = f.s.profiles.create(UTF8_PROFILE, OPTICIAN);
    const lines = ['code;name;price'];
    for (let i = 0; i < 1200; i += 1) lines.push(`C${i};Frame ${i};100,00`);
    const file = join(f.dir, 'ok.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const job = await importFile(f, file, p.id, 'ok.csv');
    expect(job).toMatchObject({ state: 'done', rows_total: 1200, created: 1200, error: null });
    expect(job.bytes_read).toBe(job.bytes_total);
  });
});

describe('a file in another encoding than its profile says', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture(); });
  afterEach(() => f.close());

  it('CP1251 bytes under a UTF-8 profile: preview and job refuse it and name the CP1251 (Windows) encoding; nothing stored', async () => {
    const p = f.s.profiles.create(UTF8_PROFILE, OPTICIAN);
    const file = join(f.dir, 'cp.csv');
    writeFileSync(file, iconv.encode('code;name;price\nR1;Оправа детская;1500,00\n', 'win1251'));
    const up = await upload(f, file, 'cp.csv');
    const err = await f.s.imports.preview(up.id, p.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/line 2 is not UTF-8.*CP1251 \(Windows\)/);
    const job = await f.s.imports.start(f.s.imports.create(up.id, p.id, OPTICIAN).id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/CP1251 \(Windows\)/);
    expect(productCount(f)).toBe(0);
  });

  it('invalid UTF-8 on the last line of a long file still fails the job before anything is written', async () => {
    const p = f.s.profiles.create(UTF8_PROFILE, OPTICIAN);
    const head = ['code;name;price'];
    for (let i = 0; i < 700; i += 1) head.push(`C${i};Оправа ${i};100,00`);
    const file = join(f.dir, 'mixed.csv');
    writeFileSync(file, Buffer.concat([Buffer.from(`${head.join('\n')}\n`), iconv.encode('R1;Оправа детская;1500,00\n', 'win1251')]));
    const job = await importFile(f, file, p.id, 'mixed.csv');
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/line 702 is not UTF-8/);
    expect(productCount(f)).toBe(0);
  });

  it('UTF-8 text under a CP1251 profile is refused with "choose UTF-8" instead of importing mojibake', async () => {
    const p = f.s.profiles.create(CSV_PROFILE, OPTICIAN);
    const file = join(f.dir, 'utf8.csv');
    writeFileSync(file, 'Артикул;Штрихкод;Наименование;Бренд;Вид;Закупка;Цена\r\nA-1;;Оправа детская;Сфера;оправа;100,00;200,00\r\n');
    const job = await importFile(f, file, p.id, 'utf8.csv');
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/UTF-8.*choose the UTF-8 encoding/);
    expect(productCount(f)).toBe(0);
  });

  it('real CP1251 under a CP1251 profile and real UTF-8 (with a BOM) under a UTF-8 profile import as before', async () => {
    const cp = f.s.profiles.create(CSV_PROFILE, OPTICIAN);
    const cpFile = join(f.dir, 'cp.csv');
    writeFileSync(cpFile, iconv.encode('Артикул;Штрихкод;Наименование;Бренд;Вид;Закупка;Цена\r\nA-1;;Оправа «Ёлка» №1;Сфера;оправа;100,00;200,00\r\n', 'win1251'));
    expect(await importFile(f, cpFile, cp.id, 'cp.csv')).toMatchObject({ state: 'done', created: 1 });
    const u = f.s.profiles.create(UTF8_PROFILE, OPTICIAN);
    const uFile = join(f.dir, 'u.csv');
    writeFileSync(uFile, '\uFEFFcode;name;price\nU1;Оправа «Ёлка» №2;100,00\n');
    expect(await importFile(f, uFile, u.id, 'u.csv')).toMatchObject({ state: 'done', created: 1 });
    expect(f.s.products.list({ q: 'Ёлка' }, { page: 1, per_page: 5 }).items.map((x) => x.name).sort()).toEqual(['Оправа «Ёлка» №1', 'Оправа «Ёлка» №2']);
  });
});

describe('control characters in a price-list cell', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture(); });
  afterEach(() => f.close());

  it('are a row error naming the column and the character; the other rows import', async () => {
    const p = f.s.profiles.create(UTF8_PROFILE, OPTICIAN);
    const file = join(f.dir, 'ctl.csv');
    writeFileSync(file, 'code;name;price\nC1;Frame\u0000one;100\nC2;"Frame\ntwo";100\nC3;Frame three;100\n');
    const job = await importFile(f, file, p.id, 'ctl.csv');
    expect(job).toMatchObject({ state: 'done', rows_total: 3, created: 1, failed: 2 });
    const errs = f.s.imports.errors(job.id, { page: 1, per_page: 10 }).items;
    expect(errs).toEqual([
      expect.objectContaining({ row_number: 2, column_name: 'name', code: 'control_char', params: { field: 'name', char: 'U+0000' } }),
      expect.objectContaining({ row_number: 4, column_name: 'name', code: 'control_char', params: { field: 'name', char: 'U+000A' } }),
    ]);
    expect(f.s.products.list({}, { page: 1, per_page: 5 }).items.map((x) => x.name)).toEqual(['Frame three']);
  });
});
