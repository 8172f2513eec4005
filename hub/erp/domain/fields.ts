// Readers for form/API fields that add a coded error naming the field and its allowed range
// instead of throwing, so one request reports every bad field at once.
import { rublesToKopecks } from '../../../shared/money.js';
import { formatScaled, isBlank, parseScaled } from './decimal.js';
import type { FieldErrors } from './errors.js';

export interface ScaledRule {
  /** Decimals kept: 2 for diopters (hundredths), 1 for millimetres (tenths), 0 for integers. */
  scale: number;
  min: number;
  max: number;
  /** In scaled units; a value must be a multiple of it. */
  step: number;
  unit: string;
  signed?: boolean;
  example: string;
}

export function describe(rule: ScaledRule): Record<string, string> {
  return {
    min: formatScaled(rule.min, rule.scale, rule.signed),
    max: formatScaled(rule.max, rule.scale, rule.signed),
    step: formatScaled(rule.step, rule.scale),
    unit: rule.unit ? (rule.unit === '°' ? '°' : ` ${rule.unit}`) : '',
    example: rule.example,
  };
}

/** Optional exact decimal within a range and step; null when blank or bad (error recorded). */
export function readScaled(errs: FieldErrors, field: string, raw: unknown, rule: ScaledRule, required = false): number | null {
  if (isBlank(raw)) {
    if (required) errs.add(field, 'required', describe(rule));
    return null;
  }
  const v = parseScaled(raw, rule.scale);
  if (v === null) {
    errs.add(field, rule.scale === 0 ? 'integer' : 'number', describe(rule));
    return null;
  }
  if (v < rule.min || v > rule.max) {
    errs.add(field, rule.scale === 0 ? 'integer' : 'range', describe(rule));
    return null;
  }
  if (v % rule.step !== 0) {
    errs.add(field, 'step', describe(rule));
    return null;
  }
  return v;
}

export function readText(errs: FieldErrors, field: string, raw: unknown, max: number, required = false): string | null {
  if (isBlank(raw)) {
    if (required) errs.add(field, 'required');
    return null;
  }
  if (typeof raw !== 'string') {
    errs.add(field, 'too_long', { max: String(max) });
    return null;
  }
  const s = raw.trim();
  if (s.length > max) {
    errs.add(field, 'too_long', { max: String(max) });
    return null;
  }
  return s;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function readDate(errs: FieldErrors, field: string, raw: unknown, required = false): string | null {
  if (isBlank(raw)) {
    if (required) errs.add(field, 'required');
    return null;
  }
  if (typeof raw !== 'string' || !isIsoDate(raw.trim())) {
    errs.add(field, 'date');
    return null;
  }
  return raw.trim();
}

export function readEnum<T extends string>(errs: FieldErrors, field: string, raw: unknown, values: readonly T[], required = false): T | null {
  if (isBlank(raw)) {
    if (required) errs.add(field, 'required', { values: values.join(', ') });
    return null;
  }
  const s = typeof raw === 'string' ? raw.trim() : '';
  if (!(values as readonly string[]).includes(s)) {
    errs.add(field, 'one_of', { values: values.join(', ') });
    return null;
  }
  return s as T;
}

/** Whole years between two ISO dates. */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = onDate.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/** Required rubles ("1250,50" or 1250.5) as kopecks; null when blank or not exact (error recorded). */
export function readMoney(errs: FieldErrors, field: string, raw: unknown): number | null {
  if (isBlank(raw)) {
    errs.add(field, 'required');
    return null;
  }
  const k = rublesToKopecks(typeof raw === 'string' ? raw.trim().replace(',', '.') : raw);
  if (k === null) errs.add(field, 'number', { example: '1250.00' });
  return k;
}
