// Reports from the fiscal documents the hub received (UAT-04): per store and day, and per
// shift (what the printer's Z report totals), split by payment type. Days are the printer's
// local dates: a shift belongs to the store's calendar, not the hub's time zone.
import type { Db } from '../../../shared/db.js';
import { FieldErrors } from '../domain/errors.js';
import { readDate, readText } from '../domain/fields.js';

export interface Totals {
  sales_count: number;
  sales_total: number;
  sales_cash: number;
  sales_card: number;
  refunds_count: number;
  refunds_total: number;
  refunds_cash: number;
  refunds_card: number;
  net_total: number;
}

export interface DayRow extends Totals {
  store_id: string;
  day: string;
}

export interface ShiftRow extends Totals {
  store_id: string;
  box_id: string;
  fn_number: string;
  shift_number: number;
  first_fd: number;
  last_fd: number;
  opened_at: string;
  last_at: string;
}

const SUMS = `
  SUM(type = 'sale') AS sales_count,
  COALESCE(SUM(CASE WHEN type = 'sale' THEN total END), 0) AS sales_total,
  COALESCE(SUM(CASE WHEN type = 'sale' THEN cash END), 0) AS sales_cash,
  COALESCE(SUM(CASE WHEN type = 'sale' THEN card END), 0) AS sales_card,
  SUM(type = 'refund') AS refunds_count,
  COALESCE(SUM(CASE WHEN type = 'refund' THEN total END), 0) AS refunds_total,
  COALESCE(SUM(CASE WHEN type = 'refund' THEN cash END), 0) AS refunds_cash,
  COALESCE(SUM(CASE WHEN type = 'refund' THEN card END), 0) AS refunds_card,
  COALESCE(SUM(CASE WHEN type = 'sale' THEN total ELSE -total END), 0) AS net_total`;

export interface ReportFilter {
  store_id?: string;
  from?: string;
  to?: string;
}

/**
 * The filter from a query string. A date that is not YYYY-MM-DD is refused (422 naming the
 * parameter): compared as text it would silently match nothing and report an empty day.
 */
export function readReportFilter(query: Record<string, unknown>): ReportFilter {
  const errs = new FieldErrors();
  const one = (k: 'store_id' | 'from' | 'to') => {
    const v = query[k];
    if (Array.isArray(v)) { errs.add(k, 'single'); return undefined; }
    return v;
  };
  const store_id = readText(errs, 'store_id', one('store_id'), 64);
  const from = readDate(errs, 'from', one('from'));
  const to = readDate(errs, 'to', one('to'));
  if (from && to && to < from) errs.add('to', 'date_after', { other: from });
  errs.throwIfAny();
  return { ...(store_id ? { store_id } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

function where(f: ReportFilter): { w: string; args: string[] } {
  const parts: string[] = [];
  const args: string[] = [];
  if (f.store_id) { parts.push('store_id = ?'); args.push(f.store_id); }
  if (f.from) { parts.push('substr(fiscal_at, 1, 10) >= ?'); args.push(f.from); }
  if (f.to) { parts.push('substr(fiscal_at, 1, 10) <= ?'); args.push(f.to); }
  return { w: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

export function dailyReport(db: Db, f: ReportFilter = {}): DayRow[] {
  const { w, args } = where(f);
  return db.prepare(`SELECT store_id, substr(fiscal_at, 1, 10) AS day, ${SUMS} FROM erp_fiscal_documents ${w}
    GROUP BY store_id, day ORDER BY day DESC, store_id`).all(...args) as DayRow[];
}

export function shiftReport(db: Db, f: ReportFilter = {}): ShiftRow[] {
  const { w, args } = where(f);
  return db.prepare(`SELECT store_id, box_id, fn_number, shift_number, MIN(fd_number) AS first_fd, MAX(fd_number) AS last_fd,
    MIN(fiscal_at) AS opened_at, MAX(fiscal_at) AS last_at, ${SUMS} FROM erp_fiscal_documents ${w}
    GROUP BY store_id, box_id, fn_number, shift_number ORDER BY opened_at DESC`).all(...args) as ShiftRow[];
}

export function stores(db: Db): string[] {
  return (db.prepare('SELECT DISTINCT store_id FROM erp_fiscal_documents ORDER BY store_id').all() as { store_id: string }[]).map((r) => r.store_id);
}
