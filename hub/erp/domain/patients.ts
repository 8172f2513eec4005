// Patients: only the personal data an optician needs (152-FZ data minimisation): name, birth
// date (child PD ranges), one contact, the date consent to processing was given.
import type { Db } from '../../../shared/db.js';
import { diff, type Actor, type AuditLog } from '../audit/audit.js';
import { FieldErrors, NotFoundError } from './errors.js';
import { readDate, readText } from './fields.js';
import { likePattern, searchKey, toPage, type Page, type PageQuery } from './paging.js';

export interface Patient {
  id: number;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  birth_date: string | null;
  phone: string | null;
  email: string | null;
  consent_at: string;
  notes: string | null;
  created_at: string;
  updated_at: string;
}

type PatientFields = Omit<Patient, 'id' | 'created_at' | 'updated_at'>;

export const PATIENT_FIELDS = ['last_name', 'first_name', 'middle_name', 'birth_date', 'phone', 'email', 'consent_at', 'notes'] as const;
const PHONE = /^\+?\d{10,15}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validatePatient(input: Record<string, unknown>, today: string): PatientFields {
  const errs = new FieldErrors().onlyKnown(input, PATIENT_FIELDS);
  const last_name = readText(errs, 'last_name', input.last_name, 80, true);
  const first_name = readText(errs, 'first_name', input.first_name, 80, true);
  const middle_name = readText(errs, 'middle_name', input.middle_name, 80);
  const birth_date = readDate(errs, 'birth_date', input.birth_date);
  if (birth_date && birth_date > today) errs.add('birth_date', 'date_future');
  let phone = readText(errs, 'phone', input.phone, 20);
  if (phone !== null) {
    phone = phone.replace(/[\s()-]/g, '');
    if (!PHONE.test(phone)) errs.add('phone', 'pattern', { example: '+79161234567' });
  }
  const email = readText(errs, 'email', input.email, 120);
  if (email !== null && !EMAIL.test(email)) errs.add('email', 'pattern', { example: 'name@example.ru' });
  const consent_at = readDate(errs, 'consent_at', input.consent_at, true);
  if (consent_at && consent_at > today) errs.add('consent_at', 'date_future');
  const notes = readText(errs, 'notes', input.notes, 2000, false, true);
  errs.throwIfAny();
  return {
    last_name: last_name as string, first_name: first_name as string, middle_name, birth_date,
    phone, email, consent_at: consent_at as string, notes,
  };
}

export class Patients {
  constructor(private readonly db: Db, private readonly audit: AuditLog, private readonly now: () => Date) {}

  private today(): string {
    return this.now().toISOString().slice(0, 10);
  }

  get(id: number): Patient {
    const row = this.db.prepare('SELECT * FROM erp_patients WHERE id = ?').get(id) as (Patient & { search?: string }) | undefined;
    if (!row) throw new NotFoundError('patient', id);
    delete row.search;
    return row;
  }

  /** "Фамилия Имя" per id, in one query, for pages that mention patients by number. Unknown ids are left out. */
  names(ids: readonly number[]): Map<number, string> {
    if (!ids.length) return new Map();
    const rows = this.db.prepare("SELECT id, last_name || ' ' || first_name AS name FROM erp_patients WHERE id IN (SELECT value FROM json_each(?))")
      .all(JSON.stringify(ids)) as { id: number; name: string }[];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  list(q: string, page: PageQuery): Page<Patient> {
    const where = q.trim() ? 'WHERE search LIKE ? ESCAPE \'\\\'' : '';
    const args = q.trim() ? [likePattern(q.trim())] : [];
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM erp_patients ${where}`).get(...args) as { n: number }).n;
    const items = this.db.prepare(`SELECT id, last_name, first_name, middle_name, birth_date, phone, email, consent_at, notes, created_at, updated_at
      FROM erp_patients ${where} ORDER BY last_name, first_name, id LIMIT ? OFFSET ?`)
      .all(...args, page.per_page, (page.page - 1) * page.per_page) as Patient[];
    return toPage(items, total, page);
  }

  create(input: Record<string, unknown>, actor: Actor): Patient {
    const f = validatePatient(input, this.today());
    const at = this.now().toISOString();
    const id = this.db.transaction(() => {
      const r = this.db.prepare(`INSERT INTO erp_patients (last_name, first_name, middle_name, birth_date, phone, email, consent_at, notes, search, created_at, updated_at)
        VALUES (@last_name, @first_name, @middle_name, @birth_date, @phone, @email, @consent_at, @notes, @search, @at, @at)`)
        .run({ ...f, search: searchKey(f.last_name, f.first_name, f.middle_name, f.phone, f.email), at });
      const newId = Number(r.lastInsertRowid);
      this.audit.record(actor, 'create', 'patient', newId, diff(null, f));
      return newId;
    })();
    return this.get(id);
  }

  update(id: number, input: Record<string, unknown>, actor: Actor): Patient {
    const before = this.get(id);
    const f = validatePatient(input, this.today());
    this.db.transaction(() => {
      this.db.prepare(`UPDATE erp_patients SET last_name=@last_name, first_name=@first_name, middle_name=@middle_name, birth_date=@birth_date,
        phone=@phone, email=@email, consent_at=@consent_at, notes=@notes, search=@search, updated_at=@at WHERE id=@id`)
        .run({ ...f, id, search: searchKey(f.last_name, f.first_name, f.middle_name, f.phone, f.email), at: this.now().toISOString() });
      const changes = diff(before as unknown as Record<string, unknown>, f);
      if (Object.keys(changes).length) this.audit.record(actor, 'update', 'patient', id, changes);
    })();
    return this.get(id);
  }
}

export function fullName(p: Pick<Patient, 'last_name' | 'first_name' | 'middle_name'>): string {
  return [p.last_name, p.first_name, p.middle_name].filter(Boolean).join(' ');
}
