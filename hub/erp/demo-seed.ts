// Demo data for a fresh hub: the first admin (credentials from the environment, or the demo
// defaults the runner prints), a small lens catalog, two frames and the import profiles that
// read the sample price lists shipped in hub/erp/samples/.
import { SYSTEM_ACTOR } from './audit/audit.js';
import type { ErpServices } from './services.js';

export interface DemoCredentials {
  username: string;
  password: string;
}

export function adminCredentials(env: NodeJS.ProcessEnv = process.env): DemoCredentials {
  return { username: env.ERP_ADMIN_USER || 'admin', password: env.ERP_ADMIN_PASSWORD || 'optics-demo-2026' };
}

export function seedAdmin(s: ErpServices, creds: DemoCredentials): void {
  s.users.ensure({ username: creds.username, password: creds.password, role: 'admin', display_name: 'Администратор' });
}

/** Adds the demo catalog and profiles once (skipped when any lens exists). */
export function seedDemoCatalog(s: ErpServices): void {
  if (s.lenses.all().length === 0) {
    const lenses = [
      { name: 'Сфера SV 1.50 HC', lens_type: 'single_vision', refractive_index: '1.50', material: 'CR-39', coatings: ['hard'], diameter_mm: 70, sph_min: '-6.00', sph_max: '+4.00', cyl_min: '-2.00', supplier: 'Сфера', cost: '450.00', price: '1200.00' },
      { name: 'LensVision SV 1.60 AR', lens_type: 'single_vision', refractive_index: '1.60', material: 'MR-8', coatings: ['ar', 'hard', 'uv'], diameter_mm: 70, sph_min: '-10.00', sph_max: '+6.00', cyl_min: '-4.00', supplier: 'LensVision', cost: '1100.00', price: '3200.00' },
      { name: 'LensVision SV 1.74 AR Blue', lens_type: 'single_vision', refractive_index: '1.74', material: 'MR-174', coatings: ['ar', 'hard', 'uv', 'blue_filter'], diameter_mm: 65, sph_min: '-16.00', sph_max: '+8.00', cyl_min: '-6.00', supplier: 'LensVision', cost: '4200.00', price: '11900.00' },
      { name: 'LensVision Progressive 1.60', lens_type: 'progressive', refractive_index: '1.60', material: 'MR-8', coatings: ['ar', 'hard', 'uv'], diameter_mm: 70, sph_min: '-8.00', sph_max: '+6.00', cyl_min: '-4.00', add_min: '0.75', add_max: '3.50', supplier: 'LensVision', cost: '5600.00', price: '15400.00' },
    ];
    for (const l of lenses) s.lenses.create(l, SYSTEM_ACTOR);
    const at = s.now().toISOString();
    const frame = s.db.prepare(`INSERT OR IGNORE INTO erp_products (kind, sku, barcode, name, brand, supplier, supplier_code, cost, price, created_at, updated_at)
      VALUES ('frame', ?, ?, ?, ?, 'Демо', ?, ?, ?, ?, ?)`);
    frame.run('FR-0001', '4600000999992', 'Оправа Silhouette TMA 5500', 'Silhouette', 'FR-0001', 650000, 1490000, at, at);
    frame.run('FR-0002', '4600000999985', 'Оправа «Восток» детская 42-16', 'Восток-Оптика', 'FR-0002', 120000, 290000, at, at);
  }
  if (s.profiles.list().length === 0) {
    s.profiles.create({
      name: 'ОптМаркет (CSV, CP1251)', supplier: 'ОптМаркет', format: 'csv', encoding: 'cp1251', delimiter: ';', decimal_comma: true, match_key: 'supplier_code', default_kind: 'frame',
      mapping: { supplier_code: 'Артикул', barcode: 'Штрихкод', name: 'Наименование', brand: 'Бренд', kind: 'Вид', cost: 'Закупка', price: 'Цена' },
    }, SYSTEM_ACTOR);
    s.profiles.create({
      name: 'LensVision (XLSX)', supplier: 'LensVision', format: 'xlsx', encoding: 'utf-8', decimal_comma: false, match_key: 'barcode', default_kind: 'lens',
      mapping: { supplier_code: 'Code', barcode: 'EAN', name: 'Description', brand: 'Brand', cost: 'Cost', price: 'Retail' },
    }, SYSTEM_ACTOR);
  }
}
