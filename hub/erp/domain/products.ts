// Frames and other goods (SKU, barcode, supplier, cost, price). Supplier price-list imports
// upsert into this table (see import/upsert.ts).
import type { Db } from '../../../shared/db.js';
import { diff, type Actor, type AuditLog } from '../audit/audit.js';
import { FieldErrors, NotFoundError } from './errors.js';
import { readEnum, readMoney, readText } from './fields.js';
import { likePattern, toPage, type Page, type PageQuery } from './paging.js';

export const PRODUCT_KINDS = ['frame', 'lens', 'accessory', 'other'] as const;
export type ProductKind = (typeof PRODUCT_KINDS)[number];

export interface Product {
  id: number;
  kind: ProductKind;
  sku: string;
  barcode: string | null;
  name: string;
  brand: string | null;
  supplier: string;
  supplier_code: string | null;
  cost: number;
  price: number;
  updated_at: string;
}

const PRODUCT_FIELDS = ['kind', 'sku', 'barcode', 'name', 'brand', 'supplier', 'supplier_code', 'cost', 'price'] as const;

export function validateProduct(input: Record<string, unknown>): Omit<Product, 'id' | 'updated_at'> {
  const errs = new FieldErrors().onlyKnown(input, PRODUCT_FIELDS);
  const kind = readEnum(errs, 'kind', input.kind, PRODUCT_KINDS, true);
  const sku = readText(errs, 'sku', input.sku, 60, true);
  const barcode = readText(errs, 'barcode', input.barcode, 14);
  if (barcode !== null && !/^\d{8,14}$/.test(barcode)) errs.add('barcode', 'pattern', { example: '4600000000015' });
  const name = readText(errs, 'name', input.name, 160, true);
  const brand = readText(errs, 'brand', input.brand, 80);
  const supplier = readText(errs, 'supplier', input.supplier, 120, true);
  const supplier_code = readText(errs, 'supplier_code', input.supplier_code, 60);
  const cost = readMoney(errs, 'cost', input.cost);
  const price = readMoney(errs, 'price', input.price);
  errs.throwIfAny();
  return { kind: kind as ProductKind, sku: sku as string, barcode, name: name as string, brand, supplier: supplier as string, supplier_code, cost: cost as number, price: price as number };
}

export class Products {
  constructor(private readonly db: Db, private readonly audit?: AuditLog, private readonly now: () => Date = () => new Date()) {}

  create(input: Record<string, unknown>, actor: Actor): Product {
    const f = validateProduct(input);
    if (this.db.prepare('SELECT 1 FROM erp_products WHERE sku = ?').get(f.sku)) {
      const e = new FieldErrors();
      e.add('sku', 'unique', { other: 'another product' });
      e.throwIfAny();
    }
    const at = this.now().toISOString();
    const id = this.db.transaction(() => {
      const r = this.db.prepare(`INSERT INTO erp_products (kind, sku, barcode, name, brand, supplier, supplier_code, cost, price, created_at, updated_at)
        VALUES (@kind, @sku, @barcode, @name, @brand, @supplier, @supplier_code, @cost, @price, @at, @at)`).run({ ...f, at });
      const newId = Number(r.lastInsertRowid);
      this.audit?.record(actor, 'create', 'product', newId, diff(null, f));
      return newId;
    })();
    return this.get(id);
  }

  get(id: number): Product {
    const row = this.db.prepare('SELECT * FROM erp_products WHERE id = ?').get(id) as Product | undefined;
    if (!row) throw new NotFoundError('product', id);
    return row;
  }

  list(filter: { q?: string; kind?: string; supplier?: string }, page: PageQuery): Page<Product> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.q?.trim()) {
      where.push("erp_fold(name || ' ' || sku || ' ' || COALESCE(barcode, '') || ' ' || COALESCE(brand, '') || ' ' || COALESCE(supplier_code, '')) LIKE ? ESCAPE '\\'");
      args.push(likePattern(filter.q));
    }
    if (filter.kind && (PRODUCT_KINDS as readonly string[]).includes(filter.kind)) { where.push('kind = ?'); args.push(filter.kind); }
    if (filter.supplier?.trim()) { where.push('supplier = ?'); args.push(filter.supplier.trim()); }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM erp_products ${w}`).get(...args) as { n: number }).n;
    const items = this.db.prepare(`SELECT * FROM erp_products ${w} ORDER BY name, id LIMIT ? OFFSET ?`)
      .all(...args, page.per_page, (page.page - 1) * page.per_page) as Product[];
    return toPage(items, total, page);
  }

  frames(): Product[] {
    return this.db.prepare("SELECT * FROM erp_products WHERE kind = 'frame' ORDER BY name LIMIT 500").all() as Product[];
  }
}
