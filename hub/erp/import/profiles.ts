// Import profiles (seed connector_b): one per supplier price list layout. The mapping says
// which source column feeds each product field; the match key says how a row finds the
// product it updates.
import type { Db } from '../../../shared/db.js';
import { diff, type Actor, type AuditLog } from '../audit/audit.js';
import { isBlank } from '../domain/decimal.js';
import { FieldErrors, NotFoundError } from '../domain/errors.js';
import { readEnum, readText } from '../domain/fields.js';
import { PRODUCT_KINDS, type ProductKind } from '../domain/products.js';

export const TARGET_FIELDS = ['supplier_code', 'barcode', 'name', 'brand', 'kind', 'sku', 'cost', 'price'] as const;
export type TargetField = (typeof TARGET_FIELDS)[number];
export const MATCH_KEYS = ['supplier_code', 'barcode', 'name'] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];
export const FORMATS = ['csv', 'xlsx'] as const;
export const ENCODINGS = ['utf-8', 'cp1251'] as const;
export const DELIMITERS = [';', ',', '\t'] as const;

export interface ImportProfile {
  id: number;
  name: string;
  supplier: string;
  format: (typeof FORMATS)[number];
  encoding: (typeof ENCODINGS)[number];
  delimiter: string;
  decimal_comma: boolean;
  /** product field -> source column header */
  mapping: Partial<Record<TargetField, string>>;
  match_key: MatchKey;
  default_kind: ProductKind;
}

type ProfileFields = Omit<ImportProfile, 'id'>;

function readBool(v: unknown): boolean {
  return v === true || v === 'true' || v === 'on' || v === '1' || v === 1;
}

export function validateProfile(input: Record<string, unknown>): ProfileFields {
  const errs = new FieldErrors().onlyKnown(input, ['name', 'supplier', 'format', 'encoding', 'delimiter', 'decimal_comma', 'mapping', 'match_key', 'default_kind']);
  const name = readText(errs, 'name', input.name, 80, true);
  const supplier = readText(errs, 'supplier', input.supplier, 120, true);
  const format = readEnum(errs, 'format', input.format, FORMATS, true);
  const encoding = readEnum(errs, 'encoding', input.encoding ?? 'utf-8', ENCODINGS, true);
  const delimiter = format === 'xlsx' ? ';' : readEnum(errs, 'delimiter', input.delimiter ?? ';', DELIMITERS, true);
  const match_key = readEnum(errs, 'match_key', input.match_key, MATCH_KEYS, true);
  const default_kind = readEnum(errs, 'default_kind', input.default_kind ?? 'other', PRODUCT_KINDS, true);
  const mapping: Partial<Record<TargetField, string>> = {};
  const raw = input.mapping;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errs.add('mapping', 'required');
  } else {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!(TARGET_FIELDS as readonly string[]).includes(k)) { errs.add(`mapping.${k}`, 'one_of', { values: TARGET_FIELDS.join(', ') }); continue; }
      if (isBlank(v)) continue;
      const col = readText(errs, `mapping.${k}`, v, 80);
      if (col) mapping[k as TargetField] = col;
    }
    for (const need of ['name', 'price'] as const) if (!mapping[need]) errs.add(`mapping.${need}`, 'required');
    if (match_key && !mapping[match_key] && !errs.has(`mapping.${match_key}`)) errs.add(`mapping.${match_key}`, 'required');
  }
  errs.throwIfAny();
  return {
    name: name as string, supplier: supplier as string, format: format as ProfileFields['format'],
    encoding: encoding as ProfileFields['encoding'], delimiter: delimiter as string, decimal_comma: readBool(input.decimal_comma),
    mapping, match_key: match_key as MatchKey, default_kind: default_kind as ProductKind,
  };
}

type Row = Omit<ImportProfile, 'mapping' | 'decimal_comma'> & { mapping: string; decimal_comma: number };
const fromRow = (r: Row): ImportProfile => ({
  id: r.id, name: r.name, supplier: r.supplier, format: r.format, encoding: r.encoding, delimiter: r.delimiter,
  decimal_comma: r.decimal_comma === 1, mapping: JSON.parse(r.mapping) as ImportProfile['mapping'], match_key: r.match_key, default_kind: r.default_kind,
});

export class ImportProfiles {
  constructor(private readonly db: Db, private readonly audit: AuditLog, private readonly now: () => Date) {}

  get(id: number): ImportProfile {
    const row = this.db.prepare('SELECT * FROM erp_import_profiles WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new NotFoundError('import profile', id);
    return fromRow(row);
  }

  list(): ImportProfile[] {
    return (this.db.prepare('SELECT * FROM erp_import_profiles WHERE active = 1 ORDER BY name').all() as Row[]).map(fromRow);
  }

  create(input: Record<string, unknown>, actor: Actor): ImportProfile {
    const f = validateProfile(input);
    const errs = new FieldErrors();
    if (this.db.prepare('SELECT 1 FROM erp_import_profiles WHERE name = ?').get(f.name)) errs.add('name', 'unique', { other: 'another profile' });
    errs.throwIfAny();
    const id = this.db.transaction(() => {
      const r = this.db.prepare(`INSERT INTO erp_import_profiles (name, supplier, format, encoding, delimiter, decimal_comma, mapping, match_key, default_kind, created_at)
        VALUES (@name, @supplier, @format, @encoding, @delimiter, @decimal_comma, @mapping, @match_key, @default_kind, @at)`)
        .run({ ...f, decimal_comma: f.decimal_comma ? 1 : 0, mapping: JSON.stringify(f.mapping), at: this.now().toISOString() });
      const newId = Number(r.lastInsertRowid);
      this.audit.record(actor, 'create', 'import_profile', newId, diff(null, f));
      return newId;
    })();
    return this.get(id);
  }
}
