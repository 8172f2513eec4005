// The audit page's labels and units (hub/erp/audit/display.ts): stored integers back to what a
// user typed, catalog words for codes, "—" for null, and raw JSON for anything it does not know.
import { describe, expect, it } from 'vitest';
import { AUDITED_FIELDS, auditRow, showChanges } from '../../../hub/erp/audit/display.js';
import { ru } from '../../../hub/erp/i18n/ru.js';
import { translator } from '../../../hub/erp/i18n/index.js';

const t = translator('ru');
function one(entity: string, field: string, before: unknown, after: unknown) {
  const [c] = showChanges(entity, { [field]: [before, after] }, t);
  if (!c) throw new Error('no change shown');
  return c;
}

describe('audit display', () => {
  it('has a catalog text for every label and audited entity', () => {
    const keys = Object.values(AUDITED_FIELDS).flatMap((fields) => Object.values(fields).flatMap((d) => d.label));
    const entities = Object.keys(AUDITED_FIELDS).map((e) => `audit.entity.${e}`);
    expect([...keys, ...entities].filter((k) => !(k in ru))).toEqual([]);
  });

  it('shows diopters, millimetres, axis, index and money as typed, with Russian labels', () => {
    expect(one('lens', 'sph_min', null, -1600)).toEqual({ field: 'sph_min', label: 'Sph от', before: '—', after: '-16.00' });
    expect(one('lens', 'cost', 420000, 419950)).toMatchObject({ label: 'Себестоимость, ₽', before: '4200.00', after: '4199.50' });
    expect(one('lens', 'refractive_index', null, 1600).after).toBe('1.60');
    expect(one('lens', 'coatings', null, ['ar', 'uv']).after).toBe('Просветляющее, УФ-фильтр');
    expect(one('prescription', 'pd_distance', null, 625).after).toBe('62.5');
    expect(one('prescription', 'od_sph', null, 125)).toMatchObject({ label: 'OD (правый) Sph', after: '+1.25' });
    expect(one('prescription', 'os_axis', null, 90)).toMatchObject({ label: 'OS (левый) Ось', after: '90' });
    expect(one('prescription', 'od_prism_base', null, 'out').after).toBe('к виску (out)');
    expect(one('prescription', 'patient_id', null, 2)).toMatchObject({ label: 'Пациент', after: '№ 2' });
    expect(one('lab_order', 'state', 'draft', 'confirmed')).toMatchObject({ label: 'Статус', before: 'Черновик', after: 'Подтверждён' });
    expect(one('lab_order', 'hbox', null, 520).after).toBe('52.0');
    expect(one('user', 'role', null, 'admin')).toMatchObject({ label: 'Роль', after: 'администратор' });
    expect(one('import_profile', 'decimal_comma', null, true).after).toBe('да');
    expect(one('import_profile', 'mapping', null, { name: 'Наименование', price: 'Цена' }).after).toBe('Название ← «Наименование»; Цена продажи ← «Цена»');
    expect(one('patient', 'birth_date', '1985-03-14', null)).toMatchObject({ label: 'Дата рождения', before: '1985-03-14', after: '—' });
  });

  it('falls back to the field name and raw JSON, never throws', () => {
    expect(one('lens', 'glow', null, { a: 1 })).toEqual({ field: 'glow', label: 'glow', before: '—', after: '{"a":1}' });
    expect(one('spaceship', 'warp', 1, 2)).toMatchObject({ label: 'warp', before: '1', after: '2' });
    // A known field holding another shape than the domain stores: shown raw, not misformatted.
    expect(one('lens', 'cost', '4200', 1.5)).toMatchObject({ before: '"4200"', after: '1.5' });
    expect(one('lab_order', 'state', null, 'teleported').after).toBe('teleported');
    expect(one('lens', 'toString', null, 1).label).toBe('toString');
    expect(showChanges('lens', { odd: 'not a pair' }, t)).toEqual([{ field: 'odd', label: 'odd', before: '—', after: '"not a pair"' }]);
    expect(showChanges('lens', null, t)).toEqual([]);
    expect(auditRow({ id: 1, at: '2026-11-25T10:00:00Z', username: 'u', action: 'create', entity: 'lens', entity_id: '7', changes: {} }, t).entity).toBe('Линза');
    expect(auditRow({ id: 1, at: '2026-11-25T10:00:00Z', username: 'u', action: 'create', entity: 'gadget', entity_id: '7', changes: {} }, t).entity).toBe('gadget');
  });
});
