// The audit page in the words and units a user types: "Sph от: -16.00", not "sph_min: -1600".
// Rows stay stored (and served by /api/v1/audit) as the raw integers the domain keeps; this
// one table says, per entity and field, which catalog label and which formatter turn them back.
// The formatters are the domain's own (its ScaledRules, formatRubles), so a page and the audit
// cannot disagree about a scale. A field missing here shows its name and raw JSON: a new field
// must never break the page an administrator opens to find out what happened.
// A record with a page of its own (RECORD_PAGES) is a link: the entry's record and the ids its
// changes refer to. Links are data ({text, href}) the template puts into <a>, so every word in
// them is escaped like any other value.
import { formatRubles } from '../../../shared/money.js';
import { formatIndex, formatScaled } from '../domain/decimal.js';
import type { ScaledRule } from '../domain/fields.js';
import { DBL, HBOX, SEG_HEIGHT, VBOX } from '../domain/lab-orders.js';
import { CYL_LIMIT, DIAMETER } from '../domain/lenses.js';
import { ADD, AXIS, CYL_STORED, EYES, PD_RANGES, PRISM, SPH, VERTEX } from '../domain/prescription-rules.js';
import { FieldErrors } from '../domain/errors.js';
import { ID_RULE, readScaled } from '../domain/fields.js';
import type { Translate } from '../i18n/index.js';
import type { AuditEntry } from './audit.js';

/** A value as text, or null when it is not of the shape the field stores (then the raw JSON shows). */
type Show = (v: unknown, t: Translate) => string | null;

export interface FieldDisplay {
  /** Catalog keys, joined by a space ("OD (правый)" + "Sph"). */
  label: readonly string[];
  show: Show;
  /** The entity a value of this field is the id of, for a link to its page. */
  ref?: string;
}

/** The record an id refers to, when it has a page: where, and for a patient the name to show beside the number. */
export interface RecordLink {
  href: string;
  name?: string;
}

export interface ShownChange {
  field: string;
  label: string;
  before: string;
  after: string;
  /** Present only when that side is the id of a record with a page. */
  beforeLink?: RecordLink;
  afterLink?: RecordLink;
}

/** An audit entry as the page shows it: the same row, its changes formatted, its record's page if it has one. */
export type AuditRow = Omit<AuditEntry, 'changes'> & { changes: ShownChange[]; link?: RecordLink };

/** Patient id -> "Фамилия Имя", looked up once per page for the patients the page mentions. */
export type PatientNames = ReadonlyMap<number, string>;

/**
 * entity -> the page of one record, for the entities that have one (the routes in pages/*.ts).
 * Prescriptions show on their patient's card, profiles and users have no page: plain text.
 */
export const RECORD_PAGES: Record<string, (id: number) => string> = {
  patient: (id) => `/patients/${id}`,
  lab_order: (id) => `/orders/${id}`,
  lens: (id) => `/lenses/${id}/edit`,
  product: (id) => `/products/${id}/edit`,
  import_job: (id) => `/import/jobs/${id}`,
};

const NULL = '—';
const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

const scaled = (rule: ScaledRule): Show => (v) => (whole(v) ? formatScaled(v, rule.scale, rule.signed) : null);
const index: Show = (v) => (whole(v) ? formatIndex(v) : null);
// How the order page writes a sum; the ruble sign because not every money label carries one.
const money: Show = (v) => (whole(v) ? `${formatRubles(v)} ₽` : null);
// Dates are ISO (YYYY-MM-DD) everywhere on the pages, so they show as stored, like any text.
const text: Show = (v) => (typeof v === 'string' ? v : null);
const id: Show = (v) => (whole(v) ? `№ ${v}` : null);
const yesNo: Show = (v, t) => (typeof v === 'boolean' ? t(v ? 'common.yes' : 'common.no') : null);
const upper: Show = (v) => (typeof v === 'string' ? v.toUpperCase() : null);
// The profile form's name for a tab; the other separators are visible characters.
const delimiter: Show = (v) => (typeof v === 'string' ? (v === '\t' ? 'Tab' : v) : null);

/** A catalog word for a code, or the code itself when the catalog has none (a new state, a new role). */
function word(t: Translate, prefix: string, code: string): string {
  const key = `${prefix}${code}`;
  const s = t(key);
  return s === key ? code : s;
}
const oneOf = (prefix: string): Show => (v, t) => (typeof v === 'string' ? word(t, prefix, v) : null);
const listOf = (prefix: string): Show => (v, t) =>
  (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.map((x: string) => word(t, prefix, x)).join(', ') : null);
/** An import mapping: product field -> the supplier's column header. */
const mapping: Show = (v, t) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const cols = Object.entries(v as Record<string, unknown>);
  if (!cols.every(([, c]) => typeof c === 'string')) return null;
  return cols.map(([k, c]) => `${word(t, 'target.', k)} ← «${c as string}»`).join('; ');
};

const f = (label: string | readonly string[], show: Show): FieldDisplay => ({ label: typeof label === 'string' ? [label] : label, show });
/** The id of another record: "№ 5", a link when that entity has a page. */
const ref = (label: string, entity: string): FieldDisplay => ({ ...f(label, id), ref: entity });

// PD rules differ by age group in their ranges only; every one is tenths of a millimetre.
const PD = PD_RANGES.unknown;
const EYE_FIELDS: Record<string, [string, Show]> = {
  sph: ['rx.sph', scaled(SPH)], cyl: ['rx.cyl', scaled(CYL_STORED)], axis: ['rx.axis', scaled(AXIS)],
  add: ['rx.add', scaled(ADD)], prism: ['rx.prism', scaled(PRISM)], prism_base: ['rx.prism_base', oneOf('base.')],
};

/** entity -> field -> how to show it. The entity names and fields are those passed to audit.record(). */
export const AUDITED_FIELDS: Record<string, Record<string, FieldDisplay>> = {
  patient: {
    last_name: f('patient.last_name', text), first_name: f('patient.first_name', text), middle_name: f('patient.middle_name', text),
    birth_date: f('patient.birth_date', text), phone: f('patient.phone', text), email: f('patient.email', text),
    consent_at: f('patient.consent_at', text), notes: f('patient.notes', text),
  },
  prescription: {
    patient_id: ref('order.patient', 'patient'), rx_date: f('rx.rx_date', text), expires_on: f('rx.expires_on', text),
    prescriber: f('rx.prescriber', text), notes: f('rx.notes', text),
    pd_distance: f('rx.pd_distance', scaled(PD.distance)), pd_near: f('rx.pd_near', scaled(PD.near)),
    od_pd_distance: f('rx.od_pd_distance', scaled(PD.monoDistance)), os_pd_distance: f('rx.os_pd_distance', scaled(PD.monoDistance)),
    od_pd_near: f('rx.od_pd_near', scaled(PD.monoNear)), os_pd_near: f('rx.os_pd_near', scaled(PD.monoNear)),
    vertex_distance: f('rx.vertex_distance', scaled(VERTEX)),
    ...Object.fromEntries(EYES.flatMap((eye) => Object.entries(EYE_FIELDS).map(([k, [label, show]]) => [`${eye}_${k}`, f([`rx.${eye}`, label], show)]))),
  },
  lens: {
    name: f('lens.name', text), lens_type: f('lens.lens_type', oneOf('type.')), refractive_index: f('lens.refractive_index', index),
    material: f('lens.material', text), coatings: f('lens.coatings', listOf('coating.')), diameter_mm: f('lens.diameter_mm', scaled(DIAMETER)),
    sph_min: f('lens.sph_min', scaled(SPH)), sph_max: f('lens.sph_max', scaled(SPH)), cyl_min: f('lens.cyl_min', scaled(CYL_LIMIT)),
    add_min: f('lens.add_min', scaled(ADD)), add_max: f('lens.add_max', scaled(ADD)), supplier: f('lens.supplier', text),
    supplier_code: f('lens.supplier_code', text), cost: f('lens.cost', money), price: f('lens.price', money),
  },
  lab_order: {
    number: f('order.number', text), prescription_id: ref('order.prescription', 'prescription'), lens_od_id: ref('order.lens_od', 'lens'),
    lens_os_id: ref('order.lens_os', 'lens'), frame_id: ref('order.frame', 'product'), seg_height_od: f('order.seg_height_od', scaled(SEG_HEIGHT)),
    seg_height_os: f('order.seg_height_os', scaled(SEG_HEIGHT)), hbox: f('order.hbox', scaled(HBOX)), vbox: f('order.vbox', scaled(VBOX)),
    dbl: f('order.dbl', scaled(DBL)), total: f('order.total', money), state: f('order.state', oneOf('state.')), reason: f('audit.reason', text),
  },
  product: {
    kind: f('product.kind', oneOf('kind.')), sku: f('product.sku', text), barcode: f('product.barcode', text), name: f('product.name', text),
    brand: f('product.brand', text), supplier: f('product.supplier', text), supplier_code: f('target.supplier_code', text),
    cost: f('product.cost', money), price: f('product.price', money),
  },
  import_profile: {
    name: f('product.name', text), supplier: f('product.supplier', text), format: f('import.format', upper), encoding: f('import.encoding', text),
    delimiter: f('import.delimiter', delimiter), decimal_comma: f('import.decimal_comma', yesNo), mapping: f('import.mapping', mapping),
    match_key: f('import.match_key', oneOf('target.')), default_kind: f('product.kind', oneOf('kind.')),
  },
  import_job: { profile_id: ref('import.profile', 'import_profile'), filename: f('import.file', text) },
  user: { username: f('login.username', text), role: f('audit.role', oneOf('role.')) },
};

/** Exact JSON of what was stored, for a field this table does not know (or a value of another shape). */
function rawJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The field table of an audited entity (own keys only: an entity named "__proto__" has none). */
function fieldsOf(entity: string): Record<string, FieldDisplay> | undefined {
  return Object.hasOwn(AUDITED_FIELDS, entity) ? AUDITED_FIELDS[entity] : undefined;
}

/** A stored id as a number, or null when it is not one (an entity_id is stored as text). */
function idOf(v: unknown): number | null {
  if (whole(v)) return v > 0 ? v : null;
  return typeof v === 'string' && /^[1-9]\d{0,11}$/.test(v) ? Number(v) : null;
}

/** The page of record `v` of `entity`, with the name for a patient; undefined where there is no page. */
function linkTo(entity: string | undefined, v: unknown, names: PatientNames): RecordLink | undefined {
  const n = idOf(v);
  const page = entity !== undefined && Object.hasOwn(RECORD_PAGES, entity) ? RECORD_PAGES[entity] : undefined;
  if (!page || n === null) return undefined;
  const name = entity === 'patient' ? names.get(n) : undefined;
  return { href: page(n), ...(name ? { name } : {}) };
}

/** One side of a change as text: "—" for null, the field's formatter, else the raw JSON. */
function shown(d: FieldDisplay | undefined, v: unknown, t: Translate): string {
  if (v === null || v === undefined) return NULL;
  return d?.show(v, t) ?? rawJson(v);
}

/** The changed fields of one audit row with their labels and values as a user would type them. */
export function showChanges(entity: string, changes: unknown, t: Translate, names: PatientNames = new Map()): ShownChange[] {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) return [];
  const table = fieldsOf(entity);
  return Object.entries(changes as Record<string, unknown>).map(([field, pair]) => {
    const d = table && Object.hasOwn(table, field) ? table[field] : undefined;
    // Rows are [before, after]; anything else (hand-edited, an old format) shows whole, as "after".
    const [before, after] = Array.isArray(pair) && pair.length === 2 ? pair : [null, pair];
    const label = d ? d.label.map((k) => t(k)).join(' ') : field;
    // A label that already names the unit ("Цена, ₽") does not need it again on every value.
    const unit = (text: string) => (label.endsWith(', ₽') ? text.replace(/ ₽$/, '') : text);
    // Ids are stored as numbers; anything else shows as raw JSON and is no link.
    const link = (v: unknown) => (d?.ref && whole(v) ? linkTo(d.ref, v, names) : undefined);
    const [beforeLink, afterLink] = [link(before), link(after)];
    return {
      field, label, before: unit(shown(d, before, t)), after: unit(shown(d, after, t)),
      ...(beforeLink ? { beforeLink } : {}), ...(afterLink ? { afterLink } : {}),
    };
  });
}

/**
 * The patients a page of entries mentions: patient entries and patient ids in their changes, so
 * the page can fetch their names in one query.
 */
export function patientIds(entries: readonly AuditEntry[]): number[] {
  const ids = new Set<number>();
  for (const e of entries) {
    const n = e.entity === 'patient' ? idOf(e.entity_id) : null;
    if (n !== null) ids.add(n);
    const table = fieldsOf(e.entity) ?? {};
    if (typeof e.changes !== 'object' || e.changes === null) continue;
    for (const [field, pair] of Object.entries(e.changes as Record<string, unknown>)) {
      if (!Object.hasOwn(table, field) || table[field]?.ref !== 'patient') continue;
      for (const v of Array.isArray(pair) ? pair : [pair]) if (whole(v) && v > 0) ids.add(v);
    }
  }
  return [...ids];
}

/** An audit entry for the page: entity and fields in the catalog's words, records as links. */
export function auditRow(e: AuditEntry, t: Translate, names: PatientNames = new Map()): AuditRow {
  const link = linkTo(e.entity, e.entity_id, names);
  return { ...e, entity: word(t, 'audit.entity.', e.entity), changes: showChanges(e.entity, e.changes, t, names), ...(link ? { link } : {}) };
}

export interface AuditFilter {
  entity?: string;
  entityId?: string;
}

/**
 * The page's filter from its query: `entity` one of the audited entities, `entity_id` a record
 * number of that entity (an id alone would mix lens 5 with patient 5). Blank means no filter;
 * anything else is a ValidationError the page shows, never a silently wider list.
 */
export function readAuditFilter(query: Record<string, unknown>): AuditFilter {
  const errs = new FieldErrors();
  const one = (k: string): unknown => {
    const v = query[k];
    if (Array.isArray(v)) { errs.add(k, 'single'); return undefined; }
    return typeof v === 'string' ? v.trim() : v;
  };
  const entity = one('entity');
  const rawId = one('entity_id');
  const entities = Object.keys(AUDITED_FIELDS);
  const known = typeof entity === 'string' && entities.includes(entity) ? entity : undefined;
  if (entity !== undefined && entity !== '' && !known) errs.add('entity', 'one_of', { values: entities.join(', ') });
  const entityId = readScaled(errs, 'entity_id', rawId, ID_RULE);
  if (entityId !== null && (entity === undefined || entity === '')) errs.add('entity', 'required');
  errs.throwIfAny();
  return { ...(known ? { entity: known } : {}), ...(entityId !== null ? { entityId: String(entityId) } : {}) };
}
