// Generators for supplier price files in the two layouts the demo profiles read: a CP1251 CSV
// with semicolons and decimal commas (frames, Russian headers) and an XLSX lens price list.
// Used to build the shipped samples and the 100,000-row benchmark file.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';

export const CSV_HEADER = ['Артикул', 'Штрихкод', 'Наименование', 'Бренд', 'Вид', 'Закупка', 'Цена'];
export const XLSX_HEADER = ['Code', 'EAN', 'Description', 'Brand', 'Cost', 'Retail'];

const BRANDS = ['Ray-Ban', 'Silhouette', 'Lacoste', 'Сфера', 'Восток-Оптика', 'Mexx'];

/** EAN-13 with a valid check digit. */
export function ean13(n: number): string {
  const body = `460${String(n).padStart(9, '0')}`.slice(0, 12);
  const sum = [...body].reduce((s, d, i) => s + Number(d) * (i % 2 ? 3 : 1), 0);
  return body + String((10 - (sum % 10)) % 10);
}

const rub = (kop: number, comma: boolean) => {
  const s = `${Math.floor(kop / 100)}.${String(kop % 100).padStart(2, '0')}`;
  return comma ? s.replace('.', ',') : s;
};

export function frameRow(i: number, priceBump = 0): string[] {
  const cost = 150000 + (i % 97) * 1250;
  return [`OM-${String(i).padStart(6, '0')}`, ean13(i), `Оправа «${BRANDS[i % BRANDS.length]}» модель ${i}`, BRANDS[i % BRANDS.length] as string,
    'оправа', rub(cost, true), rub(cost * 2 + priceBump, true)];
}

const csvLine = (cells: string[]) => cells.map((c) => (/[;"\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(';');

/** Writes `rows` frame rows as CP1251 CSV; `badEvery` > 0 spoils the price of every n-th row. */
export async function writeFramesCsv(path: string, rows: number, opts: { badEvery?: number; priceBump?: number } = {}): Promise<void> {
  const out = createWriteStream(path);
  const enc = iconv.encodeStream('win1251');
  enc.pipe(out);
  enc.write(`${csvLine(CSV_HEADER)}\r\n`);
  for (let i = 1; i <= rows; i += 1) {
    const cells = frameRow(i, opts.priceBump ?? 0);
    if (opts.badEvery && i % opts.badEvery === 0) cells[6] = 'по запросу';
    if (!enc.write(`${csvLine(cells)}\r\n`)) await once(enc, 'drain');
  }
  enc.end();
  await once(out, 'finish');
}

export async function writeLensesXlsx(path: string, rows: number): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false, useStyles: false });
  const ws = wb.addWorksheet('Price');
  ws.addRow(XLSX_HEADER).commit();
  const types = ['SV 1.50 HC', 'SV 1.60 AR', 'SV 1.67 AR Blue', 'Progressive 1.60 AR', 'Office 1.60', 'Bifocal FT-28 1.50'];
  for (let i = 1; i <= rows; i += 1) {
    const cost = 90000 + (i % 13) * 15000;
    ws.addRow([`LX-${String(i).padStart(5, '0')}`, ean13(500000 + i), `${types[i % types.length]} Ø70 #${i}`, 'LensVision', cost / 100, (cost * 2.5) / 100]).commit();
  }
  ws.commit();
  await wb.commit();
}
