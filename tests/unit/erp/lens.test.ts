// Seed W6.2 (test_lens): lens types, refractive index 1.50-1.90, coating options, power range.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../hub/erp/domain/errors.js';
import { COATINGS, LENS_TYPES, lensFormValues, validateLens } from '../../../hub/erp/domain/lenses.js';
import { erpFixture, makeLens, OPTICIAN, type ErpFixture } from '../../support/erp.js';

const BASE = {
  name: 'SV 1.60 AR', lens_type: 'single_vision', refractive_index: '1.60', material: 'MR-8', coatings: ['ar'], diameter_mm: '70',
  sph_min: '-8.00', sph_max: '+6.00', cyl_min: '-4.00', supplier: 'LensVision', cost: '1100', price: '3200,50',
};

function fields(input: Record<string, unknown>): string[] {
  try {
    validateLens(input);
    return [];
  } catch (e) {
    if (e instanceof ValidationError) return e.errors.map((x) => x.field);
    throw e;
  }
}

describe('lens catalog (W6.2)', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture(); });
  afterEach(() => f.close());

  it('test_lens_types: single vision, bifocal, progressive, office; multifocals need an addition range', () => {
    expect(LENS_TYPES).toEqual(['single_vision', 'bifocal', 'progressive', 'office']);
    for (const t of LENS_TYPES) {
      const extra = t === 'single_vision' ? {} : { add_min: '0.75', add_max: '3.50' };
      expect(makeLens(f.s, { lens_type: t, name: `lens ${t}`, ...extra }).lens_type).toBe(t);
    }
    expect(fields({ ...BASE, lens_type: 'trifocal' })).toEqual(['lens_type']);
    expect(fields({ ...BASE, lens_type: 'progressive' })).toEqual(['add_min', 'add_max']);
    expect(f.s.lenses.list({ lens_type: 'office' }, { page: 1, per_page: 20 }).total).toBe(1);
  });

  it('test_index_range: 1.50 to 1.90 inclusive, stored as exact thousandths', () => {
    expect(validateLens({ ...BASE, refractive_index: '1.5' }).refractive_index).toBe(1500);
    expect(validateLens({ ...BASE, refractive_index: '1,74' }).refractive_index).toBe(1740);
    expect(validateLens({ ...BASE, refractive_index: '1.90' }).refractive_index).toBe(1900);
    expect(fields({ ...BASE, refractive_index: '1.49' })).toEqual(['refractive_index']);
    expect(fields({ ...BASE, refractive_index: '1.91' })).toEqual(['refractive_index']);
    expect(fields({ ...BASE, refractive_index: 'high' })).toEqual(['refractive_index']);
  });

  it('test_coating_options: AR, hard coat, UV, photochromic, blue filter, polarised; unknown refused', () => {
    expect(COATINGS).toEqual(['ar', 'hard', 'uv', 'photochromic', 'blue_filter', 'polarised']);
    const l = makeLens(f.s, { coatings: ['ar', 'uv', 'photochromic', 'ar'] });
    expect(f.s.lenses.get(l.id).coatings).toEqual(['ar', 'uv', 'photochromic']);
    expect(validateLens({ ...BASE, coatings: 'hard,blue_filter' }).coatings).toEqual(['hard', 'blue_filter']);
    expect(fields({ ...BASE, coatings: ['ar', 'gold'] })).toEqual(['coatings']);
  });

  it('power range and money are exact; a reversed range is refused', () => {
    const v = validateLens(BASE);
    expect(v).toMatchObject({ sph_min: -800, sph_max: 600, cyl_min: -400, cost: 110000, price: 320050 });
    expect(fields({ ...BASE, sph_min: '+2.00', sph_max: '-2.00' })).toEqual(['sph_max']);
    expect(fields({ ...BASE, cyl_min: '+1.00' })).toEqual(['cyl_min']);
    expect(fields({ ...BASE, price: '12.345' })).toEqual(['price']);
  });

  it('searches by name with Cyrillic case folding and pages the list', () => {
    for (let i = 0; i < 25; i += 1) f.s.lenses.create({ ...BASE, name: `Линза Сфера ${i}` }, OPTICIAN);
    const p1 = f.s.lenses.list({ q: 'СФЕРА' }, { page: 1, per_page: 20 });
    expect(p1.total).toBe(25);
    expect(p1.items).toHaveLength(20);
    expect(p1.pages).toBe(2);
    expect(f.s.lenses.list({ q: 'сфера' }, { page: 2, per_page: 20 }).items).toHaveLength(5);
  });

  it('frames and other goods have SKU and barcode; a taken SKU or a bad barcode is refused', () => {
    const frame = f.s.products.create({ kind: 'frame', sku: 'FR-1', barcode: '4600000000015', name: 'Оправа X', supplier: 'S', cost: '1000', price: '2490,00' }, OPTICIAN);
    expect(frame).toMatchObject({ kind: 'frame', sku: 'FR-1', barcode: '4600000000015', price: 249000 });
    expect(() => f.s.products.create({ kind: 'frame', sku: 'FR-1', name: 'Y', supplier: 'S', cost: '1', price: '2' }, OPTICIAN)).toThrow(/sku/);
    let err: unknown;
    try { f.s.products.create({ kind: 'hat', sku: 'H', barcode: '12ab', name: 'Y', supplier: 'S', cost: '1', price: 'x' }, OPTICIAN); } catch (e) { err = e; }
    expect((err as ValidationError).errors.map((e) => e.field)).toEqual(['kind', 'barcode', 'price']);
    expect(f.s.products.frames().map((p) => p.sku)).toEqual(['FR-1']);
  });
  it('a lens whose coatings were stored in another order saves unchanged as no change (no audit row)', () => {
    const lens = makeLens(f.s, { coatings: ['uv', 'ar'] });
    // As rows written before coatings were kept in catalog order (or by hand) look.
    f.db.prepare("UPDATE erp_lenses SET coatings = 'uv,ar' WHERE id = ?").run(lens.id);
    const stored = f.s.lenses.get(lens.id);
    expect(stored.coatings).toEqual(['ar', 'uv']);
    const audits = () => f.s.audit.list({ entity: 'lens', entityId: String(lens.id) }).total;
    const before = audits();
    f.s.lenses.update(lens.id, lensFormValues(stored), OPTICIAN);
    expect(audits()).toBe(before);
  });
});
