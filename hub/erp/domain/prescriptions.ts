// Stored prescriptions: validated by prescription-rules, written with an audit row, read back
// in the per-eye shape the API and pages show.
import type { Db } from '../../../shared/db.js';
import { diff, type Actor, type AuditLog } from '../audit/audit.js';
import { NotFoundError, ValidationError } from './errors.js';
import type { Patients } from './patients.js';
import { validatePrescription, type Eye, type EyeRx, type PrescriptionValues } from './prescription-rules.js';

export interface Prescription extends PrescriptionValues {
  id: number;
  patient_id: number;
  created_at: string;
}

export interface CreatedPrescription {
  prescription: Prescription;
  transposed: Eye[];
}

type Row = Record<string, unknown> & { id: number; patient_id: number; created_at: string };

function eyeFrom(row: Row, eye: Eye): EyeRx {
  return {
    sph: row[`${eye}_sph`] as number, cyl: row[`${eye}_cyl`] as number, axis: row[`${eye}_axis`] as number | null,
    add: row[`${eye}_add`] as number | null, prism: row[`${eye}_prism`] as number | null,
    prism_base: row[`${eye}_prism_base`] as EyeRx['prism_base'],
  };
}

function fromRow(row: Row): Prescription {
  const n = (k: string) => (row[k] ?? null) as number | null;
  return {
    id: row.id, patient_id: row.patient_id, created_at: row.created_at,
    rx_date: row.rx_date as string, expires_on: (row.expires_on ?? null) as string | null,
    prescriber: row.prescriber as string, notes: (row.notes ?? null) as string | null,
    od: eyeFrom(row, 'od'), os: eyeFrom(row, 'os'),
    pd_distance: n('pd_distance'), pd_near: n('pd_near'), od_pd_distance: n('od_pd_distance'),
    os_pd_distance: n('os_pd_distance'), od_pd_near: n('od_pd_near'), os_pd_near: n('os_pd_near'),
    vertex_distance: n('vertex_distance'),
  };
}

export function flatten(v: PrescriptionValues): Record<string, unknown> {
  const { od, os, ...rest } = v;
  const out: Record<string, unknown> = { ...rest };
  for (const [eye, rx] of [['od', od], ['os', os]] as const) {
    for (const [k, val] of Object.entries(rx)) out[`${eye}_${k}`] = val;
  }
  return out;
}

export class Prescriptions {
  constructor(private readonly db: Db, private readonly patients: Patients, private readonly audit: AuditLog, private readonly now: () => Date) {}

  get(id: number): Prescription {
    const row = this.db.prepare('SELECT * FROM erp_prescriptions WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new NotFoundError('prescription', id);
    return fromRow(row);
  }

  forPatient(patientId: number): Prescription[] {
    this.patients.get(patientId);
    return (this.db.prepare('SELECT * FROM erp_prescriptions WHERE patient_id = ? ORDER BY rx_date DESC, id DESC').all(patientId) as Row[]).map(fromRow);
  }

  create(patientId: number, input: Record<string, unknown>, actor: Actor): CreatedPrescription {
    let patient;
    try {
      patient = this.patients.get(patientId);
    } catch (e) {
      if (e instanceof NotFoundError) {
        throw new ValidationError([{ field: 'patient_id', code: 'not_found', params: { entity: 'patient', id: String(patientId) }, message: `patient ${patientId} does not exist` }]);
      }
      throw e;
    }
    const v = validatePrescription(input, { birthDate: patient.birth_date, today: this.now().toISOString().slice(0, 10) });
    const flat = flatten(v.values);
    const id = this.db.transaction(() => {
      const cols = Object.keys(flat);
      const r = this.db.prepare(`INSERT INTO erp_prescriptions (patient_id, ${cols.join(', ')}, created_by, created_at)
        VALUES (@patient_id, ${cols.map((c) => `@${c}`).join(', ')}, @created_by, @created_at)`)
        .run({ ...flat, patient_id: patientId, created_by: actor.id, created_at: this.now().toISOString() });
      const newId = Number(r.lastInsertRowid);
      this.audit.record(actor, 'create', 'prescription', newId, { patient_id: [null, patientId], ...diff(null, flat) });
      return newId;
    })();
    return { prescription: this.get(id), transposed: v.transposed };
  }
}
