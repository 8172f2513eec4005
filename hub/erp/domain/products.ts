// Frames and other goods (SKU, barcode, supplier, cost, price). Managers create and correct
// them through one validator; supplier price-list imports upsert into this table (see
// import/upsert.ts). The SKU is the one unique key (erp_products_sku); barcode and supplier
// code are lookup keys that the schema lets repeat.
import type { Db } from '../../../shared/db.js';
import { diff, type Actor, type AuditLog } from '../audit/audit.js';
import { formatRubles } from '../../../shared/money.js';
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

/**
 * Longest text per field, for the product form and API and for price-list imports alike: a
 * product an import created must be one the edit page can save. The SKU has room for the one
 * an import makes up when the file has none (`supplier/code`, `supplier/barcode` or
 * `supplier/name`: 120 + 1 + 160).
 */
export const PRODUCT_TEXT_MAX = { sku: 300, name: 160, brand: 80, supplier: 120, supplier_code: 60 } as const;

export function validateProduct(input: Record<string, unknown>): Omit<Product, 'id' | 'updated_at'> {
  const errs = new FieldErrors().onlyKnown(input, PRODUCT_FIELDS);
  const kind = readEnum(errs, 'kind', input.kind, PRODUCT_KINDS, true);
  const sku = readText(errs, 'sku', input.sku, PRODUCT_TEXT_MAX.sku, true);
  const barcode = readText(errs, 'barcode', input.barcode, 14);
  if (barcode !== null && !/^\d{8,14}$/.test(barcode)) errs.add('barcode', 'pattern', { example: '4600000000015' });
  const name = readText(errs, 'name', input.name, PRODUCT_TEXT_MAX.name, true);
  const brand = readText(errs, 'brand', input.brand, PRODUCT_TEXT_MAX.brand);
  const supplier = readText(errs, 'supplier', input.supplier, PRODUCT_TEXT_MAX.supplier, true);
  const supplier_code = readText(errs, 'supplier_code', input.supplier_code, PRODUCT_TEXT_MAX.supplier_code);
  const cost = readMoney(errs, 'cost', input.cost);
  const price = readMoney(errs, 'price', input.price);
  errs.throwIfAny();
  return { kind: kind as ProductKind, sku: sku as string, barcode, name: name as string, brand, supplier: supplier as string, supplier_code, cost: cost as number, price: price as number };
}

/** A stored product as the form a person fills in (rubles as text): the inverse of validateProduct. */
export function productFormValues(p: Product): Record<string, string> {
  return {
    kind: p.kind, sku: p.sku, barcode: p.barcode ?? '', name: p.name, brand: p.brand ?? '', supplier: p.supplier,
    supplier_code: p.supplier_code ?? '', cost: formatRubles(p.cost), price: formatRubles(p.price),
  };
}

export class Products {
  constructor(private readonly db: Db, private readonly audit?: AuditLog, private readonly now: () => Date = () => new Date()) {}

  /** The SKU is unique (erp_products_sku): a taken one is a field error, never a constraint failure. */
  private refuseTakenSku(sku: string, exceptId: number | null): void {
    if (!this.db.prepare('SELECT 1 FROM erp_products WHERE sku = ? AND id IS NOT ?').get(sku, exceptId)) return;
    const e = new FieldErrors();
    e.add('sku', 'unique', { other: 'another product' });
    e.throwIfAny();
  }

  create(input: Record<string, unknown>, actor: Actor): Product {
    const f = validateProduct(input);
    const at = this.now().toISOString();
    const id = this.db.transaction(() => {
      this.refuseTakenSku(f.sku, null);
      const r = this.db.prepare(`INSERT INTO erp_products (kind, sku, barcode, name, brand, supplier, supplier_code, cost, price, created_at, updated_at)
        VALUES (@kind, @sku, @barcode, @name, @brand, @supplier, @supplier_code, @cost, @price, @at, @at)`).run({ ...f, at });
      const newId = Number(r.lastInsertRowid);
      this.audit?.record(actor, 'create', 'product', newId, diff(null, f));
      return newId;
    })();
    return this.get(id);
  }

  /**
   * Replaces the editable fields, validated exactly as on create; a SKU another product has is
   * the same `unique` field error. Audited as `update` with only the changed fields; nothing is
   * written when nothing changed. A lab order keeps the total it was created with.
   */
  update(id: number, input: Record<string, unknown>, actor: Actor): Product {
    const before = this.get(id);
    const f = validateProduct(input);
    this.db.transaction(() => {
      this.refuseTakenSku(f.sku, id);
      const changes = diff(before as unknown as Record<string, unknown>, f);
      if (!Object.keys(changes).length) return;
      this.db.prepare(`UPDATE erp_products SET kind=@kind, sku=@sku, barcode=@barcode, name=@name, brand=@brand, supplier=@supplier,
        supplier_code=@supplier_code, cost=@cost, price=@price, updated_at=@at WHERE id=@id`).run({ ...f, at: this.now().toISOString(), id });
      this.audit?.record(actor, 'update', 'product', id, changes);
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
