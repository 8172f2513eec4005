// Test fixtures for the ERP: a real SQLite WAL database in a fresh temp dir, the services over
// it with a settable clock, and small builders for the records most tests need.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import type { Actor } from '../../hub/erp/audit/audit.js';
import { createErpServices, type ErpServices } from '../../hub/erp/services.js';

export const OPTICIAN: Actor = { id: null, username: 'test-optician', role: 'optician' };

export interface ErpFixture {
  dir: string;
  db: Db;
  s: ErpServices;
  clock: { now: Date };
  close(): void;
}

export function erpFixture(start = '2026-11-25T10:00:00Z'): ErpFixture {
  const dir = mkdtempSync(join(tmpdir(), 'erp-test-'));
  const db = openDatabase(join(dir, 'hub.sqlite'));
  const clock = { now: new Date(start) };
  const s = createErpServices({ db, logger: silentLogger(), dataDir: dir, now: () => clock.now });
  return {
    dir, db, s, clock,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const RX_BASE = {
  rx_date: '2026-11-20', prescriber: 'Петрова А. В.',
  od_sph: '-2.25', od_cyl: '-0.75', od_axis: '90', os_sph: '-2.00', os_cyl: '0', pd_distance: '63.5',
};

export function makePatient(s: ErpServices, extra: Record<string, unknown> = {}) {
  return s.patients.create({ last_name: 'Иванова', first_name: 'Мария', birth_date: '1985-03-14', consent_at: '2026-11-20', ...extra }, OPTICIAN);
}

export function makeLens(s: ErpServices, extra: Record<string, unknown> = {}) {
  return s.lenses.create({
    name: 'SV 1.60 AR', lens_type: 'single_vision', refractive_index: '1.60', material: 'MR-8', coatings: ['ar', 'hard'],
    diameter_mm: 70, sph_min: '-8.00', sph_max: '+6.00', cyl_min: '-4.00', supplier: 'LensVision', cost: '1100.00', price: '3200.00', ...extra,
  }, OPTICIAN);
}

/** Patient + prescription + a lens per eye + a draft order. */
export function makeOrder(s: ErpServices, rx: Record<string, unknown> = {}, lens: Record<string, unknown> = {}) {
  const patient = makePatient(s);
  const { prescription } = s.prescriptions.create(patient.id, { ...RX_BASE, ...rx }, OPTICIAN);
  const l = makeLens(s, lens);
  const order = s.labOrders.create({ prescription_id: prescription.id, lens_od_id: l.id, lens_os_id: l.id, hbox: '52', vbox: '38', dbl: '18', seg_height_od: '20' }, OPTICIAN);
  return { patient, prescription, lens: l, order };
}

/** The CP1251 CSV profile of the shipped OptMarket sample. */
export const CSV_PROFILE = {
  name: 'ОптМаркет', supplier: 'ОптМаркет', format: 'csv', encoding: 'cp1251', delimiter: ';', decimal_comma: true, match_key: 'supplier_code', default_kind: 'frame',
  mapping: { supplier_code: 'Артикул', barcode: 'Штрихкод', name: 'Наименование', brand: 'Бренд', kind: 'Вид', cost: 'Закупка', price: 'Цена' },
};
