// The lens catalog (seed W6.2): type, refractive index 1.50-1.90, material, coatings, diameter,
// the power range the product is made in, supplier, cost and price; plus the lead time per
// lens type that sets a lab order's due date. A lens is created and corrected (update) through
// the one validator; a lab order keeps the total it was priced at, so a later price change
// never reaches an existing order (lab-orders.ts stores `total` at creation).
import type { Db } from '../../../shared/db.js';
import { diff, type Actor, type AuditLog } from '../audit/audit.js';
import { formatRubles } from '../../../shared/money.js';
import { formatIndex, formatScaled, isBlank } from './decimal.js';
import { FieldErrors, NotFoundError } from './errors.js';
import { readEnum, readMoney, readScaled, readText, type ScaledRule } from './fields.js';
import { ADD, SPH } from './prescription-rules.js';
import { likePattern, toPage, type Page, type PageQuery } from './paging.js';

export const LENS_TYPES = ['single_vision', 'bifocal', 'progressive', 'office'] as const;
export type LensType = (typeof LENS_TYPES)[number];
export const COATINGS = ['ar', 'hard', 'uv', 'photochromic', 'blue_filter', 'polarised'] as const;
export type Coating = (typeof COATINGS)[number];

/** Working days from confirmation to ready: stock single vision is surfaced fastest, free-form progressives slowest. */
export const LEAD_TIME_DAYS: Record<LensType, number> = { single_vision: 3, bifocal: 5, progressive: 7, office: 7 };

const LENS_FIELDS = ['name', 'lens_type', 'refractive_index', 'material', 'coatings', 'diameter_mm', 'sph_min', 'sph_max', 'cyl_min', 'add_min', 'add_max',
  'supplier', 'supplier_code', 'cost', 'price'] as const;
export const INDEX: ScaledRule = { scale: 3, min: 1500, max: 1900, step: 1, unit: '', example: '1.60' };
export const DIAMETER: ScaledRule = { scale: 0, min: 40, max: 90, step: 1, unit: 'mm', example: '70' };
export const CYL_LIMIT: ScaledRule = { scale: 2, min: -1000, max: 0, step: 25, unit: 'D', signed: true, example: '-4.00' };

export interface Lens {
  id: number;
  name: string;
  lens_type: LensType;
  refractive_index: number;
  material: string;
  coatings: Coating[];
  diameter_mm: number;
  sph_min: number;
  sph_max: number;
  cyl_min: number;
  add_min: number | null;
  add_max: number | null;
  supplier: string;
  supplier_code: string | null;
  cost: number;
  price: number;
  active: boolean;
}

type LensFields = Omit<Lens, 'id' | 'active'>;


export function validateLens(input: Record<string, unknown>): LensFields {
  const errs = new FieldErrors().onlyKnown(input, LENS_FIELDS);
  const name = readText(errs, 'name', input.name, 160, true);
  const lens_type = readEnum(errs, 'lens_type', input.lens_type, LENS_TYPES, true);
  const refractive_index = readScaled(errs, 'refractive_index', input.refractive_index, INDEX, true);
  const material = readText(errs, 'material', input.material, 60, true);
  const rawCoatings = Array.isArray(input.coatings) ? input.coatings : isBlank(input.coatings) ? [] : String(input.coatings).split(',');
  const coatings: Coating[] = [];
  for (const c of rawCoatings.map((x) => String(x).trim()).filter(Boolean)) {
    if ((COATINGS as readonly string[]).includes(c)) { if (!coatings.includes(c as Coating)) coatings.push(c as Coating); }
    else errs.add('coatings', 'one_of', { values: COATINGS.join(', ') });
  }
  const diameter_mm = readScaled(errs, 'diameter_mm', input.diameter_mm, DIAMETER, true);
  const sph_min = readScaled(errs, 'sph_min', input.sph_min, SPH, true);
  const sph_max = readScaled(errs, 'sph_max', input.sph_max, SPH, true);
  if (sph_min !== null && sph_max !== null && sph_min > sph_max) errs.add('sph_max', 'range', { min: formatScaled(sph_min, 2, true), max: '+20.00', unit: ' D' });
  const cyl_min = readScaled(errs, 'cyl_min', input.cyl_min ?? '0', CYL_LIMIT) ?? 0;
  const multifocal = lens_type !== null && lens_type !== 'single_vision';
  const add_min = readScaled(errs, 'add_min', input.add_min, ADD, multifocal);
  const add_max = readScaled(errs, 'add_max', input.add_max, ADD, multifocal);
  if (add_min !== null && add_max !== null && add_min > add_max) errs.add('add_max', 'range', { min: formatScaled(add_min, 2, true), max: '+4.00', unit: ' D' });
  const supplier = readText(errs, 'supplier', input.supplier, 120, true);
  const supplier_code = readText(errs, 'supplier_code', input.supplier_code, 60);
  const cost = readMoney(errs, 'cost', input.cost);
  const price = readMoney(errs, 'price', input.price);
  errs.throwIfAny();
  // Kept in the catalog's order, so the same set given in another order is no change.
  coatings.sort(byCatalog);
  return {
    name: name as string, lens_type: lens_type as LensType, refractive_index: refractive_index as number,
    material: material as string, coatings, diameter_mm: diameter_mm as number, sph_min: sph_min as number,
    sph_max: sph_max as number, cyl_min, add_min: multifocal ? add_min : null, add_max: multifocal ? add_max : null,
    supplier: supplier as string, supplier_code, cost: cost as number, price: price as number,
  };
}

const scaledText = (v: number | null, rule: ScaledRule): string => (v === null ? '' : formatScaled(v, rule.scale, rule.signed));

/**
 * A stored lens as the form a person fills in (decimal text, rubles): the inverse of
 * validateLens, so the edit page opens prefilled and saving it unchanged changes nothing.
 */
export function lensFormValues(l: Lens): Record<string, string | Coating[]> {
  return {
    name: l.name, lens_type: l.lens_type, refractive_index: formatIndex(l.refractive_index), material: l.material, coatings: l.coatings,
    diameter_mm: scaledText(l.diameter_mm, DIAMETER), sph_min: scaledText(l.sph_min, SPH), sph_max: scaledText(l.sph_max, SPH),
    cyl_min: scaledText(l.cyl_min, CYL_LIMIT), add_min: scaledText(l.add_min, ADD), add_max: scaledText(l.add_max, ADD),
    supplier: l.supplier, supplier_code: l.supplier_code ?? '', cost: formatRubles(l.cost), price: formatRubles(l.price),
  };
}

type Row = Omit<Lens, 'coatings' | 'active'> & { coatings: string; active: number };
// In the catalog's order, as validateLens writes them: a lens stored before that sort (or by
// an import) must not show as changed when its form is saved untouched.
const byCatalog = (a: Coating, b: Coating) => COATINGS.indexOf(a) - COATINGS.indexOf(b);
const fromRow = (r: Row): Lens => ({ ...r, coatings: r.coatings ? (r.coatings.split(',') as Coating[]).sort(byCatalog) : [], active: r.active === 1 });

export class Lenses {
  constructor(private readonly db: Db, private readonly audit: AuditLog, private readonly now: () => Date) {}

  get(id: number): Lens {
    const row = this.db.prepare('SELECT * FROM erp_lenses WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new NotFoundError('lens', id);
    return fromRow(row);
  }

  list(filter: { q?: string; lens_type?: string }, page: PageQuery): Page<Lens> {
    const where: string[] = ['active = 1'];
    const args: unknown[] = [];
    if (filter.q?.trim()) { where.push("erp_fold(name || ' ' || supplier || ' ' || COALESCE(supplier_code, '')) LIKE ? ESCAPE '\\'"); args.push(likePattern(filter.q)); }
    if (filter.lens_type && (LENS_TYPES as readonly string[]).includes(filter.lens_type)) { where.push('lens_type = ?'); args.push(filter.lens_type); }
    const w = `WHERE ${where.join(' AND ')}`;
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM erp_lenses ${w}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * FROM erp_lenses ${w} ORDER BY name, id LIMIT ? OFFSET ?`).all(...args, page.per_page, (page.page - 1) * page.per_page) as Row[];
    return toPage(rows.map(fromRow), total, page);
  }

  all(): Lens[] {
    return (this.db.prepare('SELECT * FROM erp_lenses WHERE active = 1 ORDER BY name, id').all() as Row[]).map(fromRow);
  }

  create(input: Record<string, unknown>, actor: Actor): Lens {
    const f = validateLens(input);
    const at = this.now().toISOString();
    const id = this.db.transaction(() => {
      const r = this.db.prepare(`INSERT INTO erp_lenses (name, lens_type, refractive_index, material, coatings, diameter_mm, sph_min, sph_max, cyl_min,
        add_min, add_max, supplier, supplier_code, cost, price, created_at, updated_at) VALUES (@name, @lens_type, @refractive_index, @material, @coatings,
        @diameter_mm, @sph_min, @sph_max, @cyl_min, @add_min, @add_max, @supplier, @supplier_code, @cost, @price, @at, @at)`)
        .run({ ...f, coatings: f.coatings.join(','), at });
      const newId = Number(r.lastInsertRowid);
      this.audit.record(actor, 'create', 'lens', newId, diff(null, f));
      return newId;
    })();
    return this.get(id);
  }

  /**
   * Replaces the editable fields (validated exactly as on create; an omitted optional field
   * takes its create default). Audited as `update` with only the changed fields; nothing is
   * written when nothing changed. Lab orders are not touched: each keeps the total it was
   * created with (docs/erp.md, "Lens catalog, goods").
   */
  update(id: number, input: Record<string, unknown>, actor: Actor): Lens {
    const before = this.get(id);
    const f = validateLens(input);
    this.db.transaction(() => {
      const changes = diff(before as unknown as Record<string, unknown>, f);
      if (!Object.keys(changes).length) return;
      this.db.prepare(`UPDATE erp_lenses SET name=@name, lens_type=@lens_type, refractive_index=@refractive_index, material=@material, coatings=@coatings,
        diameter_mm=@diameter_mm, sph_min=@sph_min, sph_max=@sph_max, cyl_min=@cyl_min, add_min=@add_min, add_max=@add_max, supplier=@supplier,
        supplier_code=@supplier_code, cost=@cost, price=@price, updated_at=@at WHERE id=@id`)
        .run({ ...f, coatings: f.coatings.join(','), at: this.now().toISOString(), id });
      this.audit.record(actor, 'update', 'lens', id, changes);
    })();
    return this.get(id);
  }
}
