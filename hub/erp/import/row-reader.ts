// Streams the rows of a supplier file as header -> cell records, without loading the file:
// CSV through csv-parse (after iconv-lite for CP1251), XLSX through exceljs's streaming
// WorkbookReader. Both report bytes read so a job can show progress. A file that is not what
// its profile says (another encoding, a cut-off workbook) fails with a message saying what to
// change, instead of yielding mojibake or waiting forever.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
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

const CHOOSE_CP1251 = 'a file saved by Excel or 1C on Windows is usually in the Windows Cyrillic encoding: choose CP1251 (Windows) as the encoding in the import profile';

/** 1 + the number of line feeds in buf before `end`. */
function linesBefore(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0 && i < end; i = buf.indexOf(10, i + 1)) n += 1;
  return n;
}

function utf16Bom(chunk: Buffer): boolean {
  return chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff));
}

const UTF16 = 'the file is UTF-16 text; save it from Excel as "CSV UTF-8" (or CSV in the Windows encoding) and choose that encoding in the import profile';

/**
 * Passes the bytes through unchanged once a fatal UTF-8 decoder has accepted them. csv-parse
 * (like any Buffer-to-string step) would put U+FFFD where bytes are not UTF-8 and import the
 * mojibake; the commonest cause is a CP1251 export under a UTF-8 profile, so say that.
 */
function strictUtf8(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lines = 1;
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (first && utf16Bom(chunk)) return cb(new Error(UTF16));
      first = false;
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        // Where: the non-fatal decoder's first U+FFFD, counted back to bytes of this chunk.
        const text = new TextDecoder('utf-8').decode(chunk);
        const at = Buffer.byteLength(text.slice(0, Math.max(0, text.indexOf('\uFFFD'))));
        return cb(new Error(`line ${lines + linesBefore(chunk, at)} is not UTF-8 text; ${CHOOSE_CP1251}`));
      }
      lines += linesBefore(chunk, chunk.length);
      cb(null, chunk);
    },
    flush(cb) {
      try {
        decoder.decode();
        cb();
      } catch {
        cb(new Error(`the file ends in the middle of a UTF-8 character (line ${lines}); ${CHOOSE_CP1251}`));
      }
    },
  });
}

/** Non-ASCII bytes that must all have been valid UTF-8 before the text is called UTF-8. */
const UTF8_EVIDENCE = 64;

/**
 * For a CP1251 profile: iconv-lite decodes any bytes as CP1251, so a UTF-8 file would import
 * as "РћРїСЂР°РІР°". Russian CP1251 text is practically never valid UTF-8 (a Cyrillic letter is a
 * lead byte followed by another letter, not a continuation byte), so text whose first
 * UTF8_EVIDENCE non-ASCII bytes (or all of them, in a shorter file) decode as UTF-8 is UTF-8.
 */
function notUtf8(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let settled = false;
  let nonAscii = 0;
  let first = true;
  const wrong = () => new Error('the file is UTF-8 text, not CP1251: choose the UTF-8 encoding in the import profile');
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (first) {
        first = false;
        if (utf16Bom(chunk)) return cb(new Error(UTF16));
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) return cb(wrong());
      }
      if (!settled) {
        try {
          decoder.decode(chunk, { stream: true });
          for (const b of chunk) if (b >= 0x80) nonAscii += 1;
          if (nonAscii >= UTF8_EVIDENCE) return cb(wrong());
        } catch {
          settled = true;
        }
      }
      cb(null, chunk);
    },
    flush(cb) {
      if (settled || nonAscii === 0) return cb();
      try {
        decoder.decode();
      } catch {
        return cb();
      }
      cb(wrong());
    },
  });
}

async function* csvRows(path: string, profile: Pick<ImportProfile, 'encoding' | 'delimiter'>, onBytes: (n: number) => void): AsyncGenerator<SourceRow> {
  const file = createReadStream(path);
  const stages: Readable[] = [file, byteCounter(onBytes)];
  if (profile.encoding === 'cp1251') stages.push(notUtf8(), iconv.decodeStream('win1251') as unknown as Transform);
  else stages.push(strictUtf8());
  const parser = parse({
    delimiter: profile.delimiter, bom: true, columns: (header: string[]) => header.map((h) => h.trim()),
    relax_column_count: true, skip_empty_lines: true, trim: true, info: true,
  });
  // pipe() does not forward errors: any stage failing must end the parser's iteration with it.
  for (const s of stages) s.on('error', (e) => parser.destroy(e as Error));
  let source: Readable = file;
  for (const s of stages.slice(1)) source = source.pipe(s as Transform);
  source.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { rowNumber: item.info.lines, cells: item.record };
    }
  } finally {
    // A preview stops after 10 rows: release the file now rather than when it is collected.
    file.destroy();
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

const EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const EOCD_LEN = 22;

/**
 * An XLSX is a zip whose directory is its last record. The streaming unzip under exceljs
 * reads entries front to back and, when the file stops inside an entry it is buffering, waits
 * for the rest forever instead of failing; a cut-off upload is the commonest broken workbook,
 * so look for the directory at the end before streaming.
 */
async function checkZipEnd(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, EOCD_LEN + 0xffff);
    const tail = Buffer.alloc(len);
    await fh.read(tail, 0, len, size - len);
    const at = tail.lastIndexOf(EOCD);
    const cut = 'the workbook is cut off or is not an XLSX file (its zip directory is missing); upload the whole file again, or save it from Excel as .xlsx';
    if (at < 0 || at + EOCD_LEN > len) throw new Error(cut);
    const dirSize = tail.readUInt32LE(at + 12);
    const dirOffset = tail.readUInt32LE(at + 16);
    if (dirOffset !== 0xffffffff && dirOffset + dirSize > size - (len - at)) throw new Error(cut);
  } finally {
    await fh.close();
  }
}

async function* xlsxRows(path: string, onBytes: (n: number) => void): AsyncGenerator<SourceRow> {
  await checkZipEnd(path);
  const file = createReadStream(path);
  const input = file.pipe(byteCounter(onBytes));
  file.on('error', (e) => input.destroy(e));
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit', entries: 'ignore' });
  try {
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
  } finally {
    file.destroy();
  }
}

export function readRows(path: string, profile: Pick<ImportProfile, 'format' | 'encoding' | 'delimiter'>, onBytes: (n: number) => void = () => {}): AsyncGenerator<SourceRow> {
  return profile.format === 'xlsx' ? xlsxRows(path, onBytes) : csvRows(path, profile, onBytes);
}
