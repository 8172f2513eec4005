// The ERP's tables in the hub database. Powers are integer hundredths of a diopter, lengths
// integer tenths of a millimetre, money integer kopecks: nothing a person typed as a decimal
// is ever stored as a float.
import { searchKey } from '../domain/paging.js';
import { migrate, type Db, type Migration } from '../../../shared/db.js';

const v1 = `
CREATE TABLE erp_users (
  id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('optician','manager','admin')),
  password_hash TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);
CREATE TABLE erp_sessions (
  token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES erp_users(id),
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE erp_audit (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_id INTEGER, username TEXT NOT NULL,
  action TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, changes TEXT NOT NULL);
CREATE INDEX erp_audit_entity ON erp_audit(entity, entity_id);

CREATE TABLE erp_patients (
  id INTEGER PRIMARY KEY, last_name TEXT NOT NULL, first_name TEXT NOT NULL, middle_name TEXT,
  birth_date TEXT, phone TEXT, email TEXT, consent_at TEXT NOT NULL, notes TEXT,
  search TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX erp_patients_search ON erp_patients(search);

CREATE TABLE erp_prescriptions (
  id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES erp_patients(id),
  rx_date TEXT NOT NULL, expires_on TEXT, prescriber TEXT NOT NULL, notes TEXT,
  od_sph INTEGER NOT NULL CHECK (od_sph BETWEEN -2000 AND 2000 AND od_sph % 25 = 0),
  od_cyl INTEGER NOT NULL CHECK (od_cyl BETWEEN -1000 AND 0 AND od_cyl % 25 = 0),
  od_axis INTEGER CHECK ((od_cyl = 0 AND od_axis IS NULL) OR (od_cyl <> 0 AND od_axis BETWEEN 1 AND 180)),
  od_add INTEGER CHECK (od_add IS NULL OR (od_add BETWEEN 50 AND 400 AND od_add % 25 = 0)),
  od_prism INTEGER CHECK (od_prism IS NULL OR (od_prism BETWEEN 25 AND 1000 AND od_prism % 25 = 0)),
  od_prism_base TEXT CHECK ((od_prism IS NULL AND od_prism_base IS NULL) OR od_prism_base IN ('in','out','up','down')),
  os_sph INTEGER NOT NULL CHECK (os_sph BETWEEN -2000 AND 2000 AND os_sph % 25 = 0),
  os_cyl INTEGER NOT NULL CHECK (os_cyl BETWEEN -1000 AND 0 AND os_cyl % 25 = 0),
  os_axis INTEGER CHECK ((os_cyl = 0 AND os_axis IS NULL) OR (os_cyl <> 0 AND os_axis BETWEEN 1 AND 180)),
  os_add INTEGER CHECK (os_add IS NULL OR (os_add BETWEEN 50 AND 400 AND os_add % 25 = 0)),
  os_prism INTEGER CHECK (os_prism IS NULL OR (os_prism BETWEEN 25 AND 1000 AND os_prism % 25 = 0)),
  os_prism_base TEXT CHECK ((os_prism IS NULL AND os_prism_base IS NULL) OR os_prism_base IN ('in','out','up','down')),
  pd_distance INTEGER, pd_near INTEGER, od_pd_distance INTEGER, os_pd_distance INTEGER,
  od_pd_near INTEGER, os_pd_near INTEGER, vertex_distance INTEGER,
  created_by INTEGER, created_at TEXT NOT NULL,
  CHECK (pd_distance IS NOT NULL OR (od_pd_distance IS NOT NULL AND os_pd_distance IS NOT NULL)));
CREATE INDEX erp_prescriptions_patient ON erp_prescriptions(patient_id);

CREATE TABLE erp_lenses (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  lens_type TEXT NOT NULL CHECK (lens_type IN ('single_vision','bifocal','progressive','office')),
  refractive_index INTEGER NOT NULL CHECK (refractive_index BETWEEN 1500 AND 1900),
  material TEXT NOT NULL, coatings TEXT NOT NULL, diameter_mm INTEGER NOT NULL,
  sph_min INTEGER NOT NULL, sph_max INTEGER NOT NULL, cyl_min INTEGER NOT NULL,
  add_min INTEGER, add_max INTEGER,
  supplier TEXT NOT NULL, supplier_code TEXT, cost INTEGER NOT NULL, price INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);

CREATE TABLE erp_products (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('frame','lens','accessory','other')),
  sku TEXT NOT NULL, barcode TEXT, name TEXT NOT NULL, brand TEXT, supplier TEXT NOT NULL,
  supplier_code TEXT, cost INTEGER NOT NULL, price INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE UNIQUE INDEX erp_products_sku ON erp_products(sku);
CREATE INDEX erp_products_barcode ON erp_products(barcode);
CREATE INDEX erp_products_supplier_code ON erp_products(supplier, supplier_code);
CREATE INDEX erp_products_supplier_name ON erp_products(supplier, name);

CREATE TABLE erp_lab_orders (
  id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE,
  patient_id INTEGER NOT NULL REFERENCES erp_patients(id),
  prescription_id INTEGER NOT NULL REFERENCES erp_prescriptions(id),
  lens_od_id INTEGER NOT NULL REFERENCES erp_lenses(id), lens_os_id INTEGER NOT NULL REFERENCES erp_lenses(id),
  frame_id INTEGER REFERENCES erp_products(id),
  seg_height_od INTEGER, seg_height_os INTEGER, hbox INTEGER, vbox INTEGER, dbl INTEGER,
  state TEXT NOT NULL CHECK (state IN ('draft','confirmed','in_production','ready','delivered','cancelled')),
  cancel_reason TEXT, due_date TEXT, store_id TEXT, total INTEGER NOT NULL,
  created_by INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX erp_lab_orders_state ON erp_lab_orders(state);
CREATE TABLE erp_lab_order_transitions (
  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES erp_lab_orders(id),
  from_state TEXT, to_state TEXT NOT NULL, at TEXT NOT NULL, user_id INTEGER, username TEXT NOT NULL,
  reason TEXT);

CREATE TABLE erp_import_profiles (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, supplier TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('csv','xlsx')),
  encoding TEXT NOT NULL CHECK (encoding IN ('utf-8','cp1251')),
  delimiter TEXT NOT NULL, decimal_comma INTEGER NOT NULL, mapping TEXT NOT NULL,
  match_key TEXT NOT NULL CHECK (match_key IN ('supplier_code','barcode','name')),
  default_kind TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);
CREATE TABLE erp_import_uploads (
  id TEXT PRIMARY KEY, filename TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
  created_by INTEGER, created_at TEXT NOT NULL);
CREATE TABLE erp_import_jobs (
  id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES erp_import_profiles(id),
  upload_id TEXT NOT NULL REFERENCES erp_import_uploads(id), filename TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('draft','running','done','failed')),
  rows_total INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0, bytes_read INTEGER NOT NULL DEFAULT 0, bytes_total INTEGER NOT NULL,
  error TEXT, created_by INTEGER, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT);
CREATE TABLE erp_import_errors (
  id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES erp_import_jobs(id),
  row_number INTEGER NOT NULL, column_name TEXT NOT NULL, reason TEXT NOT NULL,
  code TEXT NOT NULL, params TEXT NOT NULL);
CREATE INDEX erp_import_errors_job ON erp_import_errors(job_id);

CREATE TABLE erp_fiscal_documents (
  receipt_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, box_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('sale','refund')), order_id TEXT, original_receipt_id TEXT,
  total INTEGER NOT NULL, cash INTEGER NOT NULL, card INTEGER NOT NULL,
  fn_number TEXT NOT NULL, fd_number INTEGER NOT NULL, fiscal_sign TEXT NOT NULL,
  shift_number INTEGER NOT NULL, fiscal_at TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE INDEX erp_fiscal_order ON erp_fiscal_documents(order_id);
CREATE INDEX erp_fiscal_store_day ON erp_fiscal_documents(store_id, fiscal_at);
`;

export const ERP_MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'erp tables', up: v1 }];

/** Migrates and registers the SQL functions the ERP's queries use (per connection). */
export function migrateErp(db: Db): number {
  db.function('erp_fold', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? searchKey(s) : null));
  return migrate(db, 'erp', ERP_MIGRATIONS);
}
