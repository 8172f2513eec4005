// Streams the rows of a supplier file as header -> cell records, without loading the file:
// CSV through csv-parse (after iconv-lite for CP1251), XLSX through exceljs's streaming
// WorkbookReader. Both report bytes read so a job can show progress.
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import type { ImportProfile } from './profiles.js';

export type Cell = string | number | null;
export interface SourceRow {
  /** 1-based row number as a spreadsheet shows it (the header is row 1). */
  rowNumber: number;
  cells: Record<string, Cell>;
}

function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

async function* csvRows(path: string, profile: Pick<ImportProfile, 'encoding' | 'delimiter'>, onBytes: (n: number) => void): AsyncGenerator<SourceRow> {
  let source: NodeJS.ReadableStream = createReadStream(path).pipe(byteCounter(onBytes));
  if (profile.encoding === 'cp1251') source = source.pipe(iconv.decodeStream('win1251'));
  const parser = parse({
    delimiter: profile.delimiter, bom: true, columns: (header: string[]) => header.map((h) => h.trim()),
    relax_column_count: true, skip_empty_lines: true, trim: true, info: true,
  });
  source.on('error', (e) => parser.destroy(e as Error));
  source.pipe(parser);
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { rowNumber: item.info.lines, cells: item.record };
  }
}

function cellValue(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; result?: unknown; text?: string; error?: string };
    if (o.richText) return o.richText.map((t) => t.text).join('');
    if ('result' in o) return cellValue(o.result);
    if (typeof o.text === 'string') return o.text;
    if (o.error) return null;
  }
  return String(v);
}

async function* xlsxRows(path: string, onBytes: (n: number) => void): AsyncGenerator<SourceRow> {
  const input = createReadStream(path).pipe(byteCounter(onBytes));
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit', entries: 'ignore' });
  for await (const sheet of reader) {
    let header: string[] | null = null;
    for await (const row of sheet) {
      const values = (row.values as unknown[]).slice(1).map(cellValue);
      if (!header) {
        header = values.map((v) => (v === null ? '' : String(v).trim()));
        continue;
      }
      if (values.every((v) => v === null || v === '')) continue;
      const cells: Record<string, Cell> = {};
      header.forEach((h, i) => { if (h) cells[h] = values[i] ?? null; });
      yield { rowNumber: row.number, cells };
    }
    return; // only the first worksheet holds the price list
  }
}

export function readRows(path: string, profile: Pick<ImportProfile, 'format' | 'encoding' | 'delimiter'>, onBytes: (n: number) => void = () => {}): AsyncGenerator<SourceRow> {
  return profile.format === 'xlsx' ? xlsxRows(path, onBytes) : csvRows(path, profile, onBytes);
}
