// The rules of a spectacle prescription (seed W6.1 plus two improvements): sphere -20..+20 D,
// cylinder stored in minus form (plus-cylinder input is transposed), axis 1..180 exactly when
// the cylinder is not zero, 0.25 D steps, and PD ranges that admit children. Why these
// ranges: docs/erp.md.
import { formatScaled } from './decimal.js';
import { FieldErrors } from './errors.js';
import { ageOn, readDate, readEnum, readScaled, readText, type ScaledRule } from './fields.js';

const D = (min: number, max: number, example: string): ScaledRule => ({ scale: 2, min, max, step: 25, unit: 'D', signed: true, example });
export const SPH = D(-2000, 2000, '-2.25');
/** Accepted on input: a plus cylinder is transposed, so the stored cylinder is always <= 0. */
export const CYL_INPUT = D(-1000, 1000, '-0.75');
export const CYL_STORED = D(-1000, 0, '-0.75');
export const ADD = D(50, 400, '+2.00');
export const PRISM: ScaledRule = { scale: 2, min: 25, max: 1000, step: 25, unit: 'Δ', example: '1.50' };
export const AXIS: ScaledRule = { scale: 0, min: 1, max: 180, step: 1, unit: '°', example: '90' };
export const VERTEX: ScaledRule = { scale: 1, min: 50, max: 250, step: 5, unit: 'mm', example: '12' };
export const PRISM_BASES = ['in', 'out', 'up', 'down'] as const;
export type PrismBase = (typeof PRISM_BASES)[number];

export type AgeGroup = 'adult' | 'child' | 'unknown';
/** Below this age (at the prescription date) the child PD ranges apply. */
export const CHILD_UNTIL_AGE = 16;

const mm = (min: number, max: number): ScaledRule => ({ scale: 1, min, max, step: 5, unit: 'mm', example: '63.5' });
/** Tenths of a millimetre, 0.5 mm steps (the resolution of a pupillometer). */
export const PD_RANGES: Record<AgeGroup, { distance: ScaledRule; near: ScaledRule; monoDistance: ScaledRule; monoNear: ScaledRule }> = {
  adult: { distance: mm(500, 800), near: mm(460, 780), monoDistance: mm(250, 400), monoNear: mm(230, 390) },
  child: { distance: mm(400, 700), near: mm(360, 680), monoDistance: mm(200, 350), monoNear: mm(180, 340) },
  unknown: { distance: mm(400, 800), near: mm(360, 780), monoDistance: mm(200, 400), monoNear: mm(180, 390) },
};

export const EYES = ['od', 'os'] as const;
export type Eye = (typeof EYES)[number];

export const PRESCRIPTION_FIELDS: readonly string[] = [
  'rx_date', 'expires_on', 'prescriber', 'notes', 'pd_distance', 'pd_near', 'od_pd_distance', 'os_pd_distance', 'od_pd_near', 'os_pd_near', 'vertex_distance',
  ...EYES.flatMap((e) => ['sph', 'cyl', 'axis', 'add', 'prism', 'prism_base'].map((f) => `${e}_${f}`)),
];

export interface EyeRx {
  sph: number;
  cyl: number;
  axis: number | null;
  add: number | null;
  prism: number | null;
  prism_base: PrismBase | null;
}

export interface PrescriptionValues {
  rx_date: string;
  expires_on: string | null;
  prescriber: string;
  notes: string | null;
  od: EyeRx;
  os: EyeRx;
  pd_distance: number | null;
  pd_near: number | null;
  od_pd_distance: number | null;
  os_pd_distance: number | null;
  od_pd_near: number | null;
  os_pd_near: number | null;
  vertex_distance: number | null;
}

export interface ValidatedPrescription {
  values: PrescriptionValues;
  /** Eyes whose plus-cylinder input was transposed to minus form. */
  transposed: Eye[];
  ageGroup: AgeGroup;
}

/** Plus-cylinder to minus-cylinder: sphere + cylinder, cylinder negated, axis turned by 90°. */
export function transpose(sph: number, cyl: number, axis: number): { sph: number; cyl: number; axis: number } {
  return { sph: sph + cyl, cyl: -cyl, axis: axis <= 90 ? axis + 90 : axis - 90 };
}

export function ageGroupFor(birthDate: string | null | undefined, rxDate: string | null): AgeGroup {
  if (!birthDate || !rxDate) return 'unknown';
  return ageOn(birthDate, rxDate) < CHILD_UNTIL_AGE ? 'child' : 'adult';
}

function readEye(errs: FieldErrors, eye: Eye, input: Record<string, unknown>, transposed: Eye[]): EyeRx {
  const f = (n: string) => `${eye}_${n}`;
  let sph = readScaled(errs, f('sph'), input[f('sph')], SPH, true);
  let cyl = readScaled(errs, f('cyl'), input[f('cyl')] ?? '0', CYL_INPUT) ?? 0;
  let axis = readScaled(errs, f('axis'), input[f('axis')], AXIS);
  const axisBad = errs.has(f('axis'));
  if (cyl !== 0 && axis === null && !axisBad) errs.add(f('axis'), 'axis_required');
  if (cyl === 0 && axis !== null) errs.add(f('axis'), 'axis_forbidden');
  if (cyl > 0 && sph !== null && axis !== null) {
    const t = transpose(sph, cyl, axis);
    if (t.sph < SPH.min || t.sph > SPH.max) {
      errs.add(f('sph'), 'transposed_sph', { value: formatScaled(t.sph, 2, true), min: '-20.00', max: '+20.00' });
    }
    ({ sph, cyl, axis } = t);
    transposed.push(eye);
  }
  const add = readScaled(errs, f('add'), input[f('add')], ADD);
  const prism = readScaled(errs, f('prism'), input[f('prism')], PRISM);
  const base = readEnum(errs, f('prism_base'), input[f('prism_base')], PRISM_BASES);
  if (prism !== null && base === null && !errs.has(f('prism_base'))) errs.add(f('prism_base'), 'base_required');
  if (prism === null && base !== null && !errs.has(f('prism'))) errs.add(f('prism_base'), 'base_forbidden');
  return { sph: sph ?? 0, cyl, axis: cyl === 0 ? null : axis, add, prism, prism_base: prism === null ? null : base };
}

/**
 * Validates a flat prescription input (as forms and the API send it) and returns the stored
 * form. Throws ValidationError naming every bad field with its allowed range.
 */
export function validatePrescription(input: Record<string, unknown>, opts: { birthDate?: string | null; today: string }): ValidatedPrescription {
  const errs = new FieldErrors().onlyKnown(input, PRESCRIPTION_FIELDS);
  const rx_date = readDate(errs, 'rx_date', input.rx_date, true);
  if (rx_date && rx_date > opts.today) errs.add('rx_date', 'date_future');
  const expires_on = readDate(errs, 'expires_on', input.expires_on);
  if (rx_date && expires_on && expires_on < rx_date) errs.add('expires_on', 'date_after', { other: rx_date });
  const prescriber = readText(errs, 'prescriber', input.prescriber, 120, true);
  const notes = readText(errs, 'notes', input.notes, 2000, false, true);
  const transposed: Eye[] = [];
  const od = readEye(errs, 'od', input, transposed);
  const os = readEye(errs, 'os', input, transposed);

  const ageGroup = ageGroupFor(opts.birthDate, rx_date);
  const r = PD_RANGES[ageGroup];
  const pd_distance = readScaled(errs, 'pd_distance', input.pd_distance, r.distance);
  const pd_near = readScaled(errs, 'pd_near', input.pd_near, r.near);
  const od_pd_distance = readScaled(errs, 'od_pd_distance', input.od_pd_distance, r.monoDistance);
  const os_pd_distance = readScaled(errs, 'os_pd_distance', input.os_pd_distance, r.monoDistance);
  const od_pd_near = readScaled(errs, 'od_pd_near', input.od_pd_near, r.monoNear);
  const os_pd_near = readScaled(errs, 'os_pd_near', input.os_pd_near, r.monoNear);
  const anyPdError = ['pd_distance', 'od_pd_distance', 'os_pd_distance'].some((k) => errs.has(k));
  const mono = od_pd_distance !== null && os_pd_distance !== null;
  if (pd_distance === null && !mono && !anyPdError) errs.add('pd_distance', 'pd_required');
  if (pd_distance !== null && mono && Math.abs(od_pd_distance + os_pd_distance - pd_distance) > 10) {
    errs.add('pd_distance', 'pd_sum', { sum: formatScaled(od_pd_distance + os_pd_distance, 1), pd: formatScaled(pd_distance, 1) });
  }
  const distance = pd_distance ?? (mono ? od_pd_distance + os_pd_distance : null);
  if (pd_near !== null && distance !== null && pd_near > distance) {
    errs.add('pd_near', 'near_gt_distance', { max: formatScaled(distance, 1) });
  }
  const vertex_distance = readScaled(errs, 'vertex_distance', input.vertex_distance, VERTEX);
  errs.throwIfAny();
  return {
    values: {
      rx_date: rx_date as string, expires_on, prescriber: prescriber as string, notes, od, os,
      pd_distance, pd_near, od_pd_distance, os_pd_distance, od_pd_near, os_pd_near, vertex_distance,
    },
    transposed,
    ageGroup,
  };
}
