// The end-of-run checks of the crash harness: the box's buffer against what the POS clients
// were told (201s), the emulator's FN against the box, and the test OFD against both.
import { join } from 'node:path';
import type { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import type { OfdStats } from '../../hardware/sim/ofd/server.js';
import { integrityCheck, openDatabase } from '../../shared/db.js';
import type { Acks } from './pos-clients.js';

export interface BoxRow { id: string; k: string; status: string; fiscal_data: string | null }

/** Statuses of a receipt the printer fiscalised (the uplink moves it on from printed). */
const FISCALISED = new Set(['printed', 'delivered', 'synced']);

export function readBox(dataDir: string): { rows: BoxRow[]; integrity: string } {
  const db = openDatabase(join(dataDir, 'box.db'), { readonly: true });
  try {
    const integrity = integrityCheck(db);
    const rows = db.prepare('SELECT id, idempotency_key AS k, status, fiscal_data FROM receipts').all() as BoxRow[];
    return { rows, integrity: integrity.ok ? 'ok' : integrity.problems.join('; ') };
  } finally {
    db.close();
  }
}

/** Receipts counted by status, read beside the running (or just killed) box. */
export function boxStatusCounts(dataDir: string): Map<string, number> {
  const db = openDatabase(join(dataDir, 'box.db'), { readonly: true });
  try {
    return new Map((db.prepare('SELECT status AS s, COUNT(*) AS n FROM receipts GROUP BY status').all() as { s: string; n: number }[]).map((r) => [r.s, r.n]));
  } catch {
    return new Map(); // not migrated yet
  } finally {
    db.close();
  }
}

const fdOf = (r: BoxRow): number | null => (r.fiscal_data ? (JSON.parse(r.fiscal_data) as { fiscal_document_number: number }).fiscal_document_number : null);

export interface Verdict {
  lost: number;
  duplicated: number;
  fiscal_unknown: number | null;
  fiscal_documents: number | null;
  acknowledged_not_printed: number | null;
  acknowledged_not_synced: number | null;
  /** Receipts (form 3) the OFD accepted. */
  ofd_accepted: number | null;
  /** Shift reports (forms 2, 5) the OFD accepted: fiscal documents the box found in the FN. */
  ofd_reports: number | null;
  /** FN documents of any kind still without an OFD ticket at the end (must be 0 with the hub). */
  fn_unconfirmed: number | null;
  ofd_duplicates: number | null;
  /** Fiscalised receipts of the box that the OFD never accepted (must be 0 with the hub). */
  ofd_missing: number | null;
  /** Documents the OFD accepted that the box does not know as fiscalised (must be 0). */
  ofd_unknown: number | null;
  /** Sales the POS abandoned and the box confirmed cancelled. */
  cancelled: number;
  /** Of those: not `cancelled` in the box at the end, or also acknowledged (must be 0). A
   * cancelled receipt the FN fiscalised shows as `fiscal_unknown` and `fn_unconfirmed`. */
  cancelled_inconsistent: number;
}

export function verify(rows: BoxRow[], acks: Acks, emu: ShtrihEmulator | null, ofd: OfdStats | null): Verdict {
  const statusById = new Map(rows.map((r) => [r.id, r.status]));
  const v: Verdict = {
    lost: 0, duplicated: 0, fiscal_unknown: null, fiscal_documents: null, acknowledged_not_printed: null,
    acknowledged_not_synced: null, ofd_accepted: null, ofd_reports: null, fn_unconfirmed: null, ofd_duplicates: null, ofd_missing: null, ofd_unknown: null,
    cancelled: acks.cancelled.size, cancelled_inconsistent: 0,
  };
  for (const [key, id] of acks.cancelled) if (statusById.get(id) !== 'cancelled' || acks.byKey.has(key)) v.cancelled_inconsistent += 1;
  const known = new Map<number, number>();
  for (const r of rows) {
    const fd = fdOf(r);
    if (fd !== null && FISCALISED.has(r.status)) known.set(fd, (known.get(fd) ?? 0) + 1);
  }
  if (emu) {
    const fnReceipts = emu.fn.state.docs.filter((d) => d.form === 3).map((d) => d.fd);
    v.fiscal_documents = fnReceipts.length;
    v.fiscal_unknown = fnReceipts.filter((fd) => !known.has(fd)).length;
    v.acknowledged_not_printed = 0;
    for (const ids of acks.byKey.values()) for (const id of ids) if (!FISCALISED.has(statusById.get(id) ?? '')) v.acknowledged_not_printed += 1;
    // Two receipts claiming one fiscal document.
    for (const n of known.values()) if (n > 1) v.duplicated += n - 1;
  }
  if (ofd) {
    const order = Object.values(ofd.order).flat();
    const atOfd = new Set(order);
    // Without the emulator every accepted document counts as a receipt.
    const form = new Map(emu?.fn.state.docs.map((d) => [d.fd, d.form]) ?? []);
    const isReport = (fd: number) => form.get(fd) === 2 || form.get(fd) === 5;
    v.ofd_reports = order.filter(isReport).length;
    v.ofd_accepted = ofd.accepted - v.ofd_reports;
    if (emu) v.fn_unconfirmed = emu.fn.unconfirmed().length;
    v.ofd_duplicates = ofd.duplicates;
    v.duplicated += order.length - atOfd.size; // one document accepted twice
    v.ofd_missing = [...known.keys()].filter((fd) => !atOfd.has(fd)).length;
    v.ofd_unknown = [...atOfd].filter((fd) => !known.has(fd)).length;
    v.acknowledged_not_synced = 0;
    for (const ids of acks.byKey.values()) for (const id of ids) if (statusById.get(id) !== 'synced') v.acknowledged_not_synced += 1;
  }
  const idByKey = new Map<string, string[]>();
  for (const r of rows) idByKey.set(r.k, [...(idByKey.get(r.k) ?? []), r.id]);
  for (const [key, ids] of acks.byKey) {
    const stored = idByKey.get(key) ?? [];
    // Two different ids acknowledged for one sale, or one sale stored twice: a duplicate.
    if (ids.size > 1 || stored.length > 1) v.duplicated += 1;
    for (const id of ids) if (!stored.includes(id)) v.lost += 1;
  }
  return v;
}
