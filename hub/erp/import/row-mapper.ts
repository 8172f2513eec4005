// One source row to one product row through the profile's column mapping. Prices are parsed
// as exact decimals ("1 234,50" with a decimal comma), never through parseFloat.
import { rublesToKopecks } from '../../../shared/money.js';
import { renderTemplate } from '../domain/errors.js';
import { textProblem } from '../domain/fields.js';
import { PRODUCT_KINDS, PRODUCT_TEXT_MAX, type ProductKind } from '../domain/products.js';
import type { ImportProfile, TargetField } from './profiles.js';
import type { Cell } from './row-reader.js';

export interface ProductRow {
  supplier: string;
  supplier_code: string | null;
  barcode: string | null;
  name: string;
  brand: string | null;
  kind: ProductKind;
  sku: string | null;
  cost: number;
  price: number;
}

export interface RowError {
  column: string;
  /** English wording (API, logs); pages render `code` + `params` from the i18n catalog. */
  reason: string;
  code: string;
  params: Record<string, string>;
}

export const ROW_ERROR_TEMPLATES: Record<string, string> = {
  missing_column: 'column "{column}" is missing from the file',
  empty: '{field} is empty',
  too_long: '{field} is longer than {max} characters',
  barcode: 'barcode "{value}" must be 8 to 14 digits (EAN-8/13, GTIN-14)',
  money: '{field} "{value}" is not an amount in rubles with at most 2 decimals ({separator})',
  kind: 'kind "{value}" must be one of {values}',
  sku_taken: 'SKU "{value}" already belongs to another product',
  control_char: '{field} contains the control character {char} (a line break, tab or other control character inside the cell)',
  not_unicode: '{field} contains {char}, which is not text (a byte the file\'s encoding does not define)',
  database: '{message}',
};

export function rowError(column: string, code: string, params: Record<string, string>): RowError {
  const reason = renderTemplate(ROW_ERROR_TEMPLATES[code] ?? code, params);
  return { column, reason, code, params };
}

export type Mapped = { ok: true; row: ProductRow } | { ok: false; errors: RowError[] };

const KIND_WORDS: Record<string, ProductKind> = {
  frame: 'frame', оправа: 'frame', оправы: 'frame', lens: 'lens', линза: 'lens', линзы: 'lens',
  accessory: 'accessory', аксессуар: 'accessory', аксессуары: 'accessory', other: 'other', прочее: 'other',
};

/** "1 234,50" (decimal comma) or "1234.50" to kopecks; null if not an exact amount. */
export function parseMoney(cell: Cell, decimalComma: boolean): number | null {
  if (cell === null) return null;
  if (typeof cell === 'number') return rublesToKopecks(cell);
  let s = cell.replace(/[\s\u00a0\u202f]/g, '').replace(/(руб\.?|₽|р\.)$/i, '');
  if (decimalComma) {
    if (s.includes('.') && s.includes(',')) s = s.replace(/\./g, '');
    s = s.replace(',', '.');
  } else if (s.includes(',')) {
    return null;
  }
  return rublesToKopecks(s);
}

function text(cell: Cell | undefined): string | null {
  if (cell === null || cell === undefined) return null;
  const s = (typeof cell === 'number' ? String(cell) : cell).trim();
  return s === '' ? null : s;
}

export function mapRow(cells: Record<string, Cell>, profile: ImportProfile): Mapped {
  const errors: RowError[] = [];
  const col = (f: TargetField) => profile.mapping[f];
  const get = (f: TargetField) => {
    const c = col(f);
    return c === undefined ? null : text(cells[c]);
  };
  for (const f of Object.keys(profile.mapping) as TargetField[]) {
    const c = col(f) as string;
    if (!(c in cells)) errors.push(rowError(c, 'missing_column', { column: c }));
  }
  if (errors.length) return { ok: false, errors };
  // Names and codes are one line of text, as in the product form; amounts are checked below.
  for (const f of Object.keys(profile.mapping) as TargetField[]) {
    const c = col(f) as string;
    const v = cells[c];
    if (f === 'cost' || f === 'price' || typeof v !== 'string') continue;
    const bad = textProblem(v.trim());
    if (bad) errors.push(rowError(c, bad.code, { field: f, char: bad.params.char as string }));
  }
  if (errors.length) return { ok: false, errors };
  const name = get('name');
  if (!name) errors.push(rowError(col('name') as string, 'empty', { field: 'name' }));
  // The product form's limits: a row the edit page could not save is refused here instead.
  for (const f of ['name', 'sku', 'brand', 'supplier_code'] as const) {
    const v = get(f);
    if (v !== null && v.length > PRODUCT_TEXT_MAX[f]) errors.push(rowError(col(f) as string, 'too_long', { field: f, max: String(PRODUCT_TEXT_MAX[f]) }));
  }
  const barcode = get('barcode');
  if (barcode !== null && !/^\d{8,14}$/.test(barcode)) errors.push(rowError(col('barcode') as string, 'barcode', { value: barcode }));
  const key = get(profile.match_key);
  if (!key && profile.match_key !== 'name') errors.push(rowError(col(profile.match_key) as string, 'empty', { field: profile.match_key }));
  const money = (f: 'cost' | 'price', required: boolean) => {
    const c = col(f);
    if (!c) return 0;
    const raw = cells[c] ?? null;
    if (raw === null || raw === '') {
      if (required) errors.push(rowError(c, 'empty', { field: f }));
      return 0;
    }
    const k = parseMoney(raw, profile.decimal_comma);
    if (k === null) {
      errors.push(rowError(c, 'money', { field: f, value: String(raw), separator: profile.decimal_comma ? 'decimal comma' : 'decimal point' }));
      return 0;
    }
    return k;
  };
  const price = money('price', true);
  const cost = money('cost', false);
  let kind = profile.default_kind;
  const kindText = get('kind');
  if (kindText) {
    const k = KIND_WORDS[kindText.toLocaleLowerCase('ru-RU')] ?? (PRODUCT_KINDS as readonly string[]).find((x) => x === kindText);
    if (!k) errors.push(rowError(col('kind') as string, 'kind', { value: kindText, values: PRODUCT_KINDS.join(', ') }));
    else kind = k as ProductKind;
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    row: { supplier: profile.supplier, supplier_code: get('supplier_code'), barcode, name: name as string, brand: get('brand'), kind, sku: get('sku'), cost, price },
  };
}
