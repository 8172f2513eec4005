// Seed W6.1 (test_prescription): sphere range, minus cylinder (plus transposed), axis exactly
// when cylinder is not zero, PD ranges (adults and children), 0.25 D steps, exact decimals.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDiopters } from '../../../hub/erp/domain/decimal.js';
import { ValidationError, type ErpFieldError } from '../../../hub/erp/domain/errors.js';
import { transpose, validatePrescription } from '../../../hub/erp/domain/prescription-rules.js';
import { erpFixture, makePatient, OPTICIAN, RX_BASE, type ErpFixture } from '../../support/erp.js';

const TODAY = '2026-11-25';

function errorsOf(input: Record<string, unknown>, birthDate: string | null = '1985-03-14'): ErpFieldError[] {
  try {
    validatePrescription(input, { birthDate, today: TODAY });
  } catch (e) {
    if (e instanceof ValidationError) return e.errors;
    throw e;
  }
  return [];
}
const fieldsOf = (input: Record<string, unknown>, birth?: string | null) => errorsOf(input, birth).map((e) => e.field);

describe('prescription rules (W6.1)', () => {
  it('test_sph_range_validation: -20..+20 D accepted at the edges, beyond refused with the range named', () => {
    expect(errorsOf({ ...RX_BASE, od_sph: '-20.00', os_sph: '+20' })).toEqual([]);
    const errs = errorsOf({ ...RX_BASE, od_sph: '-20.25' });
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ field: 'od_sph', code: 'range', params: { min: '-20.00', max: '+20.00' } });
    expect(errs[0]?.message).toContain('-20.00');
    expect(errs[0]?.message).toContain('+20.00');
  });

  it('powers must be 0.25 D steps and exact decimals, never floats or free text', () => {
    expect(errorsOf({ ...RX_BASE, od_sph: '-2.30' })[0]).toMatchObject({ field: 'od_sph', code: 'step' });
    expect(errorsOf({ ...RX_BASE, od_sph: 'минус два' })[0]).toMatchObject({ field: 'od_sph', code: 'number' });
    expect(errorsOf({ ...RX_BASE, od_sph: '-2.255' })[0]).toMatchObject({ field: 'od_sph' });
    expect(parseDiopters('−2,25')).toBe(-225);
    expect(parseDiopters('+0.1')).toBe(10);
    const v = validatePrescription({ ...RX_BASE, od_sph: '-0,75', os_sph: 0.25 }, { birthDate: null, today: TODAY });
    expect(v.values.od.sph).toBe(-75);
    expect(v.values.os.sph).toBe(25);
    expect(Number.isInteger(v.values.od.cyl)).toBe(true);
  });

  it('test_cyl_negative_only: stored cylinder is never positive; a plus cylinder is transposed', () => {
    const v = validatePrescription({ ...RX_BASE, od_sph: '-2.25', od_cyl: '+0.75', od_axis: '180' }, { birthDate: null, today: TODAY });
    expect(v.transposed).toEqual(['od']);
    expect(v.values.od).toMatchObject({ sph: -150, cyl: -75, axis: 90 });
    expect(transpose(100, 50, 45)).toEqual({ sph: 150, cyl: -50, axis: 135 });
    expect(transpose(100, 50, 90)).toEqual({ sph: 150, cyl: -50, axis: 180 });
    expect(errorsOf({ ...RX_BASE, od_cyl: '-10.25' })[0]).toMatchObject({ field: 'od_cyl', params: { min: '-10.00', max: '+10.00' } });
  });

  it('a transposition that pushes the sphere past +20 D is refused naming the sphere and its range', () => {
    const errs = errorsOf({ ...RX_BASE, od_sph: '+19.50', od_cyl: '+1.00', od_axis: '30' });
    expect(errs[0]).toMatchObject({ field: 'od_sph', code: 'transposed_sph', params: { value: '+20.50', max: '+20.00' } });
  });

  it('test_axis_required_if_cyl: axis 1..180 exactly when the cylinder is not zero', () => {
    expect(fieldsOf({ ...RX_BASE, od_axis: '' })).toEqual(['od_axis']);
    expect(errorsOf({ ...RX_BASE, od_axis: '' })[0]?.code).toBe('axis_required');
    expect(errorsOf({ ...RX_BASE, od_axis: '0' })[0]).toMatchObject({ field: 'od_axis', params: { min: '1', max: '180' } });
    expect(errorsOf({ ...RX_BASE, od_axis: '181' })[0]?.field).toBe('od_axis');
    expect(errorsOf({ ...RX_BASE, od_axis: '90.5' })[0]?.field).toBe('od_axis');
    expect(errorsOf({ ...RX_BASE, os_cyl: '0', os_axis: '90' })[0]).toMatchObject({ field: 'os_axis', code: 'axis_forbidden' });
    expect(errorsOf({ ...RX_BASE, od_axis: '180' })).toEqual([]);
  });

  it('test_pd_range: adults 50-80 mm, children under 16 from 40 mm, unknown age the union', () => {
    expect(errorsOf({ ...RX_BASE, pd_distance: '48' }, '1985-03-14')[0]).toMatchObject({ field: 'pd_distance', params: { min: '50.0', max: '80.0' } });
    expect(errorsOf({ ...RX_BASE, pd_distance: '48' }, '2020-06-01')).toEqual([]);
    expect(errorsOf({ ...RX_BASE, pd_distance: '72' }, '2020-06-01')[0]).toMatchObject({ field: 'pd_distance', params: { min: '40.0', max: '70.0' } });
    expect(errorsOf({ ...RX_BASE, pd_distance: '39.5' }, null)[0]).toMatchObject({ params: { min: '40.0', max: '80.0' } });
    expect(errorsOf({ ...RX_BASE, pd_distance: '63.3' })[0]).toMatchObject({ field: 'pd_distance', code: 'step' });
  });

  it('PD: binocular or both monocular; near not above distance; monocular must add up', () => {
    expect(errorsOf({ ...RX_BASE, pd_distance: '' })[0]?.code).toBe('pd_required');
    expect(errorsOf({ ...RX_BASE, pd_distance: '', od_pd_distance: '32', os_pd_distance: '31.5' })).toEqual([]);
    expect(errorsOf({ ...RX_BASE, pd_distance: '66', od_pd_distance: '32', os_pd_distance: '31.5' })[0]?.code).toBe('pd_sum');
    expect(errorsOf({ ...RX_BASE, pd_near: '65' })[0]).toMatchObject({ field: 'pd_near', code: 'near_gt_distance' });
    expect(errorsOf({ ...RX_BASE, pd_near: '60' })).toEqual([]);
  });

  it('addition, prism with base and vertex distance are checked; every bad field is reported at once', () => {
    expect(errorsOf({ ...RX_BASE, od_add: '+2.00', os_add: '+2.00', od_prism: '1.5', od_prism_base: 'in', vertex_distance: '12' })).toEqual([]);
    const errs = errorsOf({ ...RX_BASE, od_add: '+4.25', od_prism: '1', os_prism_base: 'up', vertex_distance: '40', od_axis: '0', os_sph: '30' });
    expect(errs.map((e) => e.field).sort()).toEqual(['od_add', 'od_axis', 'od_prism_base', 'os_prism_base', 'os_sph', 'vertex_distance']);
    expect(errs.every((e) => e.message.length > 5)).toBe(true);
  });

  it('dates: prescription date required, not in the future; expiry not before it', () => {
    expect(errorsOf({ ...RX_BASE, rx_date: '' })[0]?.field).toBe('rx_date');
    expect(errorsOf({ ...RX_BASE, rx_date: '2026-02-30' })[0]?.code).toBe('date');
    expect(errorsOf({ ...RX_BASE, rx_date: '2026-12-01' })[0]?.code).toBe('date_future');
    expect(errorsOf({ ...RX_BASE, expires_on: '2026-01-01' })[0]?.field).toBe('expires_on');
  });
});

describe('stored prescriptions', () => {
  let f: ErpFixture;
  beforeEach(() => { f = erpFixture(); });
  afterEach(() => f.close());

  it('stores integers, refuses bad input without writing, and audits who created it', () => {
    const p = makePatient(f.s);
    const { prescription } = f.s.prescriptions.create(p.id, { ...RX_BASE, od_cyl: '+0.50', od_axis: '10' }, OPTICIAN);
    expect(prescription.od).toMatchObject({ sph: -175, cyl: -50, axis: 100 });
    expect(() => f.s.prescriptions.create(p.id, { ...RX_BASE, od_axis: '' }, OPTICIAN)).toThrow(ValidationError);
    expect(f.s.prescriptions.forPatient(p.id)).toHaveLength(1);
    const audit = f.s.audit.list({ entity: 'prescription' });
    expect(audit.items[0]).toMatchObject({ username: 'test-optician', action: 'create' });
    expect(audit.items[0]?.changes.od_sph).toEqual([null, -175]);
  });

  it('the database itself refuses a float or an off-step power (CHECK constraints)', () => {
    const p = makePatient(f.s);
    expect(() => f.db.prepare(`INSERT INTO erp_prescriptions (patient_id, rx_date, prescriber, od_sph, od_cyl, os_sph, os_cyl, pd_distance, created_at)
      VALUES (?, '2026-11-20', 'x', -230, 0, 0, 0, 630, 'now')`).run(p.id)).toThrow(/CHECK/);
    expect(() => f.db.prepare(`INSERT INTO erp_prescriptions (patient_id, rx_date, prescriber, od_sph, od_cyl, od_axis, os_sph, os_cyl, pd_distance, created_at)
      VALUES (?, '2026-11-20', 'x', -225, 50, 90, 0, 0, 630, 'now')`).run(p.id)).toThrow(/CHECK/);
  });

  it('uses the child PD range from the patient birth date', () => {
    const child = makePatient(f.s, { birth_date: '2019-01-10' });
    const { prescription } = f.s.prescriptions.create(child.id, { ...RX_BASE, pd_distance: '47' }, OPTICIAN);
    expect(prescription.pd_distance).toBe(470);
    const adult = makePatient(f.s);
    expect(() => f.s.prescriptions.create(adult.id, { ...RX_BASE, pd_distance: '47' }, OPTICIAN)).toThrow(/pd_distance/);
  });
});
