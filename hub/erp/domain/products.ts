// Frames and other goods (SKU, barcode, supplier, cost, price). Supplier price-list imports
// upsert into this table (see import/upsert.ts).
import type { Db } from '../../../shared/db.js';
import { NotFoundError } from './errors.js';
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

export class Products {
  constructor(private readonly db: Db) {}

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
