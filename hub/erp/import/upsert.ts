// Idempotent upsert of one mapped row: find the product by the profile's match key, create it,
// update only the fields that differ, or leave it alone. Importing the same file twice leaves
// every row "unchanged" the second time.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../../shared/db.js';
import type { MatchKey } from './profiles.js';
import type { ProductRow } from './row-mapper.js';

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

const COMPARED = ['supplier_code', 'barcode', 'name', 'brand', 'kind', 'cost', 'price'] as const;

export class ProductUpserter {
  private readonly find: Record<MatchKey, Statement<unknown[]>>;
  private readonly insert;
  private readonly update;

  constructor(db: Db, private readonly now: () => Date = () => new Date()) {
    this.find = {
      supplier_code: db.prepare<unknown[]>('SELECT * FROM erp_products WHERE supplier = ? AND supplier_code = ? LIMIT 1'),
      barcode: db.prepare<unknown[]>('SELECT * FROM erp_products WHERE ? IS NOT NULL AND barcode = ? LIMIT 1'),
      name: db.prepare<unknown[]>('SELECT * FROM erp_products WHERE supplier = ? AND name = ? LIMIT 1'),
    };
    this.insert = db.prepare(`INSERT INTO erp_products (kind, sku, barcode, name, brand, supplier, supplier_code, cost, price, created_at, updated_at)
      VALUES (@kind, @sku, @barcode, @name, @brand, @supplier, @supplier_code, @cost, @price, @at, @at)`);
    this.update = db.prepare(`UPDATE erp_products SET kind=@kind, barcode=@barcode, name=@name, brand=@brand, supplier_code=@supplier_code,
      cost=@cost, price=@price, updated_at=@at WHERE id=@id`);
  }

  /** Must run inside the caller's transaction. Throws on a constraint error (e.g. SKU taken). */
  upsert(row: ProductRow, key: MatchKey): UpsertOutcome {
    const keyValue = row[key];
    const existing = (key === 'barcode' ? this.find.barcode.get(keyValue, keyValue) : this.find[key].get(row.supplier, keyValue)) as
      (Record<string, unknown> & { id: number }) | undefined;
    const at = this.now().toISOString();
    if (!existing) {
      const sku = row.sku ?? `${row.supplier}/${row.supplier_code ?? row.barcode ?? row.name}`;
      this.insert.run({ ...row, sku, at });
      return 'created';
    }
    // A blank optional cell keeps what the product already has rather than erasing it.
    const next = { ...row, supplier_code: row.supplier_code ?? existing.supplier_code, barcode: row.barcode ?? existing.barcode, brand: row.brand ?? existing.brand };
    if (COMPARED.every((f) => (existing[f] ?? null) === (next[f] ?? null))) return 'unchanged';
    this.update.run({ ...next, id: existing.id, at });
    return 'updated';
  }
}
