// Lab orders: a prescription, a lens per eye, a frame and the fitting measurements. Every
// transition is checked against the workflow (409 lists the allowed ones), timestamped and
// attributed; confirming checks the lenses can be made in the prescribed powers and sets the
// due date from the lens types' lead times.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../../shared/db.js';
import { diff, type Actor, type AuditLog } from '../audit/audit.js';
import { formatDiopters } from './decimal.js';
import { ConflictError, FieldErrors, NotFoundError, ValidationError } from './errors.js';
import { ID_RULE, readEnum, readScaled, readText, type ScaledRule } from './fields.js';
import { addWorkingDays, allowedTransitions, canTransition, ORDER_STATES, type OrderState } from './lab-order-states.js';
import { LEAD_TIME_DAYS, type Lens, type Lenses } from './lenses.js';
import { toPage, likePattern, type Page, type PageQuery } from './paging.js';
import type { EyeRx } from './prescription-rules.js';
import type { Prescriptions } from './prescriptions.js';
import type { Products } from './products.js';

const mm = (min: number, max: number, example: string): ScaledRule => ({ scale: 1, min, max, step: 5, unit: 'mm', example });
export const SEG_HEIGHT = mm(100, 400, '18');
export const HBOX = mm(300, 800, '52');
export const VBOX = mm(200, 700, '38');
export const DBL = mm(100, 300, '18');
const ORDER_FIELDS = ['prescription_id', 'lens_od_id', 'lens_os_id', 'frame_id', 'seg_height_od', 'seg_height_os', 'hbox', 'vbox', 'dbl', 'store_id'] as const;
const ID = ID_RULE;

export interface LabOrder {
  id: number;
  number: string;
  patient_id: number;
  prescription_id: number;
  lens_od_id: number;
  lens_os_id: number;
  frame_id: number | null;
  seg_height_od: number | null;
  seg_height_os: number | null;
  hbox: number | null;
  vbox: number | null;
  dbl: number | null;
  state: OrderState;
  cancel_reason: string | null;
  due_date: string | null;
  store_id: string | null;
  total: number;
  created_at: string;
  updated_at: string;
  allowed_transitions: OrderState[];
}

export interface Transition {
  from_state: OrderState | null;
  to_state: OrderState;
  at: string;
  username: string;
  reason: string | null;
}

/** Why a lens cannot be made for one eye of a prescription, or null when it can. */
export function lensFitProblem(lens: Lens, rx: EyeRx): { code: string; params: Record<string, string> } | null {
  const rxText = `SPH ${formatDiopters(rx.sph)} CYL ${formatDiopters(rx.cyl)}${rx.add !== null ? ` ADD ${formatDiopters(rx.add)}` : ''}`;
  const base = { lens: lens.name, sph_min: formatDiopters(lens.sph_min), sph_max: formatDiopters(lens.sph_max), cyl_min: formatDiopters(lens.cyl_min), rx: rxText };
  if (rx.sph < lens.sph_min || rx.sph > lens.sph_max || rx.cyl < lens.cyl_min) {
    const add = lens.add_min !== null ? `, ADD ${formatDiopters(lens.add_min)} to ${formatDiopters(lens.add_max)}` : '';
    return { code: 'lens_power', params: { ...base, add } };
  }
  if (lens.add_min !== null && lens.add_max !== null && (rx.add === null || rx.add < lens.add_min || rx.add > lens.add_max)) {
    return { code: 'lens_add', params: { ...base, add_min: formatDiopters(lens.add_min), add_max: formatDiopters(lens.add_max) } };
  }
  return null;
}

export class LabOrders {
  constructor(
    private readonly db: Db,
    private readonly deps: { prescriptions: Prescriptions; lenses: Lenses; products: Products; audit: AuditLog; onTransition?: (to: OrderState) => void },
    private readonly now: () => Date,
  ) {}

  get(id: number): LabOrder {
    const row = this.db.prepare('SELECT * FROM erp_lab_orders WHERE id = ?').get(id) as Omit<LabOrder, 'allowed_transitions'> | undefined;
    if (!row) throw new NotFoundError('lab order', id);
    return { ...row, allowed_transitions: [...allowedTransitions(row.state)] };
  }

  byNumber(number: string): LabOrder | null {
    const row = this.db.prepare('SELECT id FROM erp_lab_orders WHERE number = ?').get(number) as { id: number } | undefined;
    return row ? this.get(row.id) : null;
  }

  list(filter: { q?: string; state?: string; patient_id?: number }, page: PageQuery): Page<LabOrder & { patient_name: string }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.state && (ORDER_STATES as readonly string[]).includes(filter.state)) { where.push('o.state = ?'); args.push(filter.state); }
    if (filter.patient_id) { where.push('o.patient_id = ?'); args.push(filter.patient_id); }
    if (filter.q?.trim()) { where.push("(p.search LIKE ? ESCAPE '\\' OR erp_fold(o.number) LIKE ? ESCAPE '\\')"); args.push(likePattern(filter.q), likePattern(filter.q)); }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const from = 'FROM erp_lab_orders o JOIN erp_patients p ON p.id = o.patient_id';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n ${from} ${w}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`SELECT o.*, p.last_name || ' ' || p.first_name AS patient_name ${from} ${w} ORDER BY o.id DESC LIMIT ? OFFSET ?`)
      .all(...args, page.per_page, (page.page - 1) * page.per_page) as (Omit<LabOrder, 'allowed_transitions'> & { patient_name: string })[];
    return toPage(rows.map((r) => ({ ...r, allowed_transitions: [...allowedTransitions(r.state)] })), total, page);
  }

  transitions(id: number): Transition[] {
    return this.db.prepare('SELECT from_state, to_state, at, username, reason FROM erp_lab_order_transitions WHERE order_id = ? ORDER BY id').all(id) as Transition[];
  }

  create(input: Record<string, unknown>, actor: Actor): LabOrder {
    const errs = new FieldErrors().onlyKnown(input, ORDER_FIELDS);
    const prescription_id = readScaled(errs, 'prescription_id', input.prescription_id, ID, true);
    const lens_od_id = readScaled(errs, 'lens_od_id', input.lens_od_id, ID, true);
    const lens_os_id = readScaled(errs, 'lens_os_id', input.lens_os_id, ID, true);
    const frame_id = readScaled(errs, 'frame_id', input.frame_id, ID);
    const m = {
      seg_height_od: readScaled(errs, 'seg_height_od', input.seg_height_od, SEG_HEIGHT),
      seg_height_os: readScaled(errs, 'seg_height_os', input.seg_height_os, SEG_HEIGHT),
      hbox: readScaled(errs, 'hbox', input.hbox, HBOX),
      vbox: readScaled(errs, 'vbox', input.vbox, VBOX),
      dbl: readScaled(errs, 'dbl', input.dbl, DBL),
    };
    const store_id = readText(errs, 'store_id', input.store_id, 64);
    const exists = (field: string, id: number | null, load: (id: number) => unknown, entity: string) => {
      if (id === null) return null;
      try { return load(id); } catch (e) {
        if (e instanceof NotFoundError) { errs.add(field, 'not_found', { entity, id: String(id) }); return null; }
        throw e;
      }
    };
    const rx = exists('prescription_id', prescription_id, (i) => this.deps.prescriptions.get(i), 'prescription') as ReturnType<Prescriptions['get']> | null;
    const lod = exists('lens_od_id', lens_od_id, (i) => this.deps.lenses.get(i), 'lens') as Lens | null;
    const los = exists('lens_os_id', lens_os_id, (i) => this.deps.lenses.get(i), 'lens') as Lens | null;
    const frame = exists('frame_id', frame_id, (i) => this.deps.products.get(i), 'frame') as { price: number } | null;
    const multifocal = [lod, los].some((l) => l && l.lens_type !== 'single_vision');
    if (multifocal && m.seg_height_od === null && !errs.has('seg_height_od')) errs.add('seg_height_od', 'required', { min: '10.0', max: '40.0', unit: ' mm' });
    errs.throwIfAny();
    const at = this.now().toISOString();
    const total = (lod as Lens).price + (los as Lens).price + (frame?.price ?? 0);
    const id = this.db.transaction(() => {
      const r = this.db.prepare(`INSERT INTO erp_lab_orders (number, patient_id, prescription_id, lens_od_id, lens_os_id, frame_id, seg_height_od, seg_height_os,
        hbox, vbox, dbl, state, store_id, total, created_by, created_at, updated_at) VALUES (@number, @patient_id, @prescription_id, @lens_od_id, @lens_os_id,
        @frame_id, @seg_height_od, @seg_height_os, @hbox, @vbox, @dbl, 'draft', @store_id, @total, @created_by, @at, @at)`)
        // The number derives from the row id, so the row goes in with a unique placeholder first.
        .run({ number: `pending-${randomUUID()}`, patient_id: rx?.patient_id, prescription_id, lens_od_id, lens_os_id, frame_id, ...m, store_id, total, created_by: actor.id, at });
      const newId = Number(r.lastInsertRowid);
      const number = `LO-${String(newId).padStart(6, '0')}`;
      this.db.prepare('UPDATE erp_lab_orders SET number = ? WHERE id = ?').run(number, newId);
      this.db.prepare('INSERT INTO erp_lab_order_transitions (order_id, from_state, to_state, at, user_id, username) VALUES (?, NULL, ?, ?, ?, ?)')
        .run(newId, 'draft', at, actor.id, actor.username);
      this.deps.audit.record(actor, 'create', 'lab_order', newId, diff(null, { number, prescription_id, lens_od_id, lens_os_id, frame_id, ...m, total }));
      return newId;
    })();
    return this.get(id);
  }

  /** Moves an order to `to`. 409 (ConflictError) for an illegal move, 422 for a lens that cannot be made. */
  transition(id: number, toRaw: unknown, reasonRaw: unknown, actor: Actor): LabOrder {
    const order = this.get(id);
    const errs = new FieldErrors();
    const to = readEnum(errs, 'to', toRaw, ORDER_STATES, true);
    const reason = readText(errs, 'reason', reasonRaw, 500, to === 'cancelled');
    errs.throwIfAny();
    const target = to as OrderState;
    if (!canTransition(order.state, target)) {
      throw new ConflictError(`a lab order in state ${order.state} cannot move to ${target}`, {
        current_state: order.state, requested_state: target, allowed_transitions: [...allowedTransitions(order.state)],
      });
    }
    let dueDate = order.due_date;
    if (target === 'confirmed') dueDate = this.checkConfirmable(order);
    const at = this.now().toISOString();
    this.db.transaction(() => {
      const r = this.db.prepare('UPDATE erp_lab_orders SET state = ?, cancel_reason = ?, due_date = ?, updated_at = ? WHERE id = ? AND state = ?')
        .run(target, target === 'cancelled' ? reason : null, dueDate, at, id, order.state);
      if (r.changes !== 1) throw new ConflictError('the order changed meanwhile; reload it', { current_state: this.get(id).state });
      this.db.prepare('INSERT INTO erp_lab_order_transitions (order_id, from_state, to_state, at, user_id, username, reason) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, order.state, target, at, actor.id, actor.username, reason);
      this.deps.audit.record(actor, 'transition', 'lab_order', id, { state: [order.state, target], ...(reason ? { reason: [null, reason] } : {}) });
    })();
    this.deps.onTransition?.(target);
    return this.get(id);
  }

  private checkConfirmable(order: LabOrder): string {
    const rx = this.deps.prescriptions.get(order.prescription_id);
    const lod = this.deps.lenses.get(order.lens_od_id);
    const los = this.deps.lenses.get(order.lens_os_id);
    const errors = [];
    for (const [field, lens, eye] of [['lens_od_id', lod, rx.od], ['lens_os_id', los, rx.os]] as const) {
      const p = lensFitProblem(lens, eye);
      if (p) {
        const e = new FieldErrors();
        e.add(field, p.code, p.params);
        errors.push(...e.list);
      }
    }
    if (errors.length) throw new ValidationError(errors);
    const days = Math.max(LEAD_TIME_DAYS[lod.lens_type], LEAD_TIME_DAYS[los.lens_type]);
    return addWorkingDays(this.now().toISOString().slice(0, 10), days);
  }
}
