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

/** A database id as an API field or query parameter: a whole number from 1. */
export const ID_RULE: ScaledRule = { scale: 0, min: 1, max: 2 ** 31, step: 1, unit: '', example: '1' };

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

/** "U+0007" for the code point at i. */
const codePoint = (s: string, i: number) => `U+${(s.codePointAt(i) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

// C0 and C1 controls and DEL: a NUL truncates the text in C tools and the DCS export, an
// escape garbles terminals and printouts, and none of them is something a user typed.
const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_LINES = /(?![\t\n\r])\p{Cc}/u;
// U+FFFD is what a decoder leaves where the bytes were not UTF-8; a lone surrogate cannot be
// stored as UTF-8 at all. Either means the text was damaged before it reached us.
const NOT_UNICODE = /[\uFFFD]|\p{Cs}/u;

/** The first character a text field refuses, as a field-error code and its parameters; null when none. */
export function textProblem(s: string, multiline = false): { code: 'control_char' | 'not_unicode'; params: Record<string, string> } | null {
  const c = (multiline ? CONTROL_EXCEPT_LINES : CONTROL).exec(s);
  if (c) return { code: 'control_char', params: { char: codePoint(s, c.index), position: String(c.index + 1) } };
  const u = NOT_UNICODE.exec(s);
  if (u) return { code: 'not_unicode', params: { char: codePoint(s, u.index), position: String(u.index + 1) } };
  return null;
}

/**
 * Trimmed text up to `max` characters; null when blank or bad (error recorded). Only
 * `multiline` fields (notes) may hold line breaks and tabs; a name or a code is one line.
 */
export function readText(errs: FieldErrors, field: string, raw: unknown, max: number, required = false, multiline = false): string | null {
  if (isBlank(raw)) {
    if (required) errs.add(field, 'required');
    return null;
  }
  if (typeof raw !== 'string') {
    errs.add(field, 'text', { max: String(max) });
    return null;
  }
  const s = raw.trim();
  if (s.length > max) {
    errs.add(field, 'too_long', { max: String(max) });
    return null;
  }
  const bad = textProblem(s, multiline);
  if (bad) {
    errs.add(field, bad.code, bad.params);
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
