// Seed W6.3 (test_manufacturing_order): workflow transitions, state constraints (409 with the
// allowed moves), confirm checks the lens power range, due date from lead time, attribution;
// and the DCS export parsed back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDcs, prismAngle, toDcs } from '../../../hub/erp/domain/dcs-export.js';
import { ConflictError, ValidationError } from '../../../hub/erp/domain/errors.js';
import { addWorkingDays, ORDER_STATES, TRANSITIONS } from '../../../hub/erp/domain/lab-order-states.js';
import { erpFixture, makeLens, makeOrder, OPTICIAN, type ErpFixture } from '../../support/erp.js';

const MANAGER = { id: null, username: 'test-manager', role: 'manager' as const };

describe('lab orders (W6.3)', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture('2026-11-25T10:00:00Z'); });
  afterEach(() => f.close());

  it('test_workflow_transitions: draft -> confirmed -> in_production -> ready -> delivered, each timestamped and attributed', () => {
    const { order } = makeOrder(f.s);
    expect(order.state).toBe('draft');
    expect(order.number).toBe('LO-000001');
    const steps = ['confirmed', 'in_production', 'ready', 'delivered'] as const;
    steps.forEach((to, i) => {
      f.clock.now = new Date(Date.parse('2026-11-25T10:00:00Z') + (i + 1) * 3600_000);
      expect(f.s.labOrders.transition(order.id, to, undefined, i % 2 ? MANAGER : OPTICIAN).state).toBe(to);
    });
    const history = f.s.labOrders.transitions(order.id);
    expect(history.map((h) => h.to_state)).toEqual(['draft', ...steps]);
    expect(history[1]).toMatchObject({ from_state: 'draft', username: 'test-optician', at: '2026-11-25T11:00:00.000Z' });
    expect(history[2]).toMatchObject({ from_state: 'confirmed', username: 'test-manager', at: '2026-11-25T12:00:00.000Z' });
    expect(f.s.labOrders.get(order.id).allowed_transitions).toEqual([]);
  });

  it('test_state_constraints: an illegal move is a conflict listing the allowed ones and changes nothing', () => {
    const { order } = makeOrder(f.s);
    let err: unknown;
    try { f.s.labOrders.transition(order.id, 'ready', undefined, OPTICIAN); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).extra).toEqual({ current_state: 'draft', requested_state: 'ready', allowed_transitions: ['confirmed', 'cancelled'] });
    expect(f.s.labOrders.get(order.id).state).toBe('draft');
    expect(f.s.labOrders.transitions(order.id)).toHaveLength(1);
    expect(() => f.s.labOrders.transition(order.id, 'shipped', undefined, OPTICIAN)).toThrow(ValidationError);
    // every state's table is closed over the states, and the terminal ones allow nothing
    for (const s of ORDER_STATES) for (const to of TRANSITIONS[s]) expect(ORDER_STATES).toContain(to);
    expect(TRANSITIONS.delivered).toEqual([]);
    expect(TRANSITIONS.cancelled).toEqual([]);
  });

  it('cancelling needs a reason, is recorded, and is final', () => {
    const { order } = makeOrder(f.s);
    expect(() => f.s.labOrders.transition(order.id, 'cancelled', '', MANAGER)).toThrow(/reason/);
    const c = f.s.labOrders.transition(order.id, 'cancelled', 'пациент передумал', MANAGER);
    expect(c).toMatchObject({ state: 'cancelled', cancel_reason: 'пациент передумал' });
    expect(() => f.s.labOrders.transition(order.id, 'confirmed', undefined, MANAGER)).toThrow(ConflictError);
  });

  it('confirming checks that each lens can be made in the prescribed power, naming the range', () => {
    const { order } = makeOrder(f.s, { od_sph: '-9.50' }, { sph_min: '-8.00', sph_max: '+6.00' });
    let err: unknown;
    try { f.s.labOrders.transition(order.id, 'confirmed', undefined, OPTICIAN); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ValidationError);
    const errors = (err as ValidationError).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'lens_od_id', code: 'lens_power', params: { sph_min: '-8.00', sph_max: '+6.00' } });
    expect(errors[0]?.message).toContain('SPH -9.50');
    expect(f.s.labOrders.get(order.id).state).toBe('draft');
  });

  it('a progressive lens needs an addition within its range', () => {
    const { order } = makeOrder(f.s, {}, { lens_type: 'progressive', add_min: '0.75', add_max: '3.50' });
    expect(() => f.s.labOrders.transition(order.id, 'confirmed', undefined, OPTICIAN)).toThrow(/addition/);
    const ok = makeOrder(f.s, { od_add: '+2.00', os_add: '+2.00' }, { lens_type: 'progressive', add_min: '0.75', add_max: '3.50' });
    expect(f.s.labOrders.transition(ok.order.id, 'confirmed', undefined, OPTICIAN).state).toBe('confirmed');
  });

  it('due date = confirmation day + the slower lens type lead time in working days', () => {
    expect(addWorkingDays('2026-11-25', 3)).toBe('2026-11-30');
    expect(addWorkingDays('2026-11-27', 1)).toBe('2026-11-30');
    const sv = makeOrder(f.s);
    expect(f.s.labOrders.transition(sv.order.id, 'confirmed', undefined, OPTICIAN).due_date).toBe('2026-11-30');
    const pal = makeLens(f.s, { name: 'PAL', lens_type: 'progressive', add_min: '0.75', add_max: '3.50' });
    const p = f.s.patients.create({ last_name: 'Петров', first_name: 'Пётр', consent_at: '2026-11-20' }, OPTICIAN);
    const { prescription } = f.s.prescriptions.create(p.id, { rx_date: '2026-11-20', prescriber: 'x', od_sph: '1', os_sph: '1', od_add: '2', os_add: '2', pd_distance: '64' }, OPTICIAN);
    const o = f.s.labOrders.create({ prescription_id: prescription.id, lens_od_id: pal.id, lens_os_id: sv.lens.id, seg_height_od: '18' }, OPTICIAN);
    expect(f.s.labOrders.transition(o.id, 'confirmed', undefined, OPTICIAN).due_date).toBe('2026-12-04');
  });

  it('creating refuses unknown references and out-of-range fitting measurements, all at once', () => {
    let err: unknown;
    try { f.s.labOrders.create({ prescription_id: 99, lens_od_id: 'x', lens_os_id: 5, hbox: '120' }, OPTICIAN); } catch (e) { err = e; }
    expect((err as ValidationError).errors.map((e) => e.field).sort()).toEqual(['hbox', 'lens_od_id', 'lens_os_id', 'prescription_id']);
    expect(f.s.labOrders.list({}, { page: 1, per_page: 10 }).total).toBe(0);
  });
});

describe('DCS export', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture(); });
  afterEach(() => f.close());

  it('writes LABEL=R;L records that parse back to the stored powers and measurements', () => {
    const { order, prescription, lens } = makeOrder(f.s,
      { od_sph: '+1.25', od_cyl: '+0.50', od_axis: '10', os_sph: '-3.75', os_cyl: '-1.25', os_axis: '170', od_add: '2.25', os_add: '2.25',
        od_prism: '1.50', od_prism_base: 'in', os_prism: '0.75', os_prism_base: 'up', pd_distance: '', od_pd_distance: '32.5', os_pd_distance: '31', vertex_distance: '12' },
      { name: 'Прогрессив 1.67', lens_type: 'progressive', refractive_index: '1.67', add_min: '0.75', add_max: '3.50', sph_min: '-10', sph_max: '+6' });
    const text = toDcs(order, prescription, { od: lens, os: lens });
    expect(text.endsWith('\r\n')).toBe(true);
    expect(/^[\x20-\x7e\r\n]*$/.test(text)).toBe(true);
    const d = parseDcs(text);
    expect(d.get('JOB')).toEqual(['LO-000001']);
    expect(d.get('SPH')).toEqual(['1.75', '-3.75']);
    expect(d.get('CYL')).toEqual(['-0.50', '-1.25']);
    expect(d.get('AX')).toEqual(['100', '170']);
    expect(d.get('ADD')).toEqual(['2.25', '2.25']);
    expect(d.get('IPD')).toEqual(['32.50', '31.00']);
    expect(d.get('PRVM')).toEqual(['1.50', '0.75']);
    expect(d.get('PRVA')).toEqual(['0', '90']);
    expect(d.get('LIND')).toEqual(['1.670', '1.670']);
    expect(d.get('LTYP')).toEqual(['PR', 'PR']);
    expect(d.get('LNAM')).toEqual(['Progressiv 1.67', 'Progressiv 1.67']);
    expect(d.get('HBOX')).toEqual(['52.00', '52.00']);
    expect(d.get('DBL')).toEqual(['18.00']);
    expect(d.get('SEGHT')).toEqual(['20.00', '20.00']);
    expect(d.get('BVD')).toEqual(['12.00', '12.00']);
    expect(d.has('NPD')).toBe(false);
  });

  it('splits a binocular PD in halves and maps prism bases per eye', () => {
    const { order, prescription, lens } = makeOrder(f.s, { pd_distance: '63.5' });
    expect(parseDcs(toDcs(order, prescription, { od: lens, os: lens })).get('IPD')).toEqual(['31.70', '31.80']);
    expect([prismAngle('od', 'in'), prismAngle('od', 'out'), prismAngle('os', 'in'), prismAngle('os', 'out'), prismAngle('os', 'down')]).toEqual([0, 180, 180, 0, 270]);
    expect(() => parseDcs('garbage line')).toThrow(/not a DCS record/);
  });
});
