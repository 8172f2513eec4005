// Who changed what and when (152-FZ asks for it on personal data). One row per change with
// the changed fields as [before, after]; written in the same transaction as the change.
import type { Db } from '../../../shared/db.js';

export interface Actor {
  id: number | null;
  username: string;
  role: 'optician' | 'manager' | 'admin' | 'system';
}

export const SYSTEM_ACTOR: Actor = { id: null, username: 'system', role: 'system' };

export type Changes = Record<string, [unknown, unknown]>;

export interface AuditEntry {
  id: number;
  at: string;
  username: string;
  action: string;
  entity: string;
  entity_id: string;
  changes: Changes;
}

/** Fields whose value differs between two records, as [before, after]. */
export function diff(before: Record<string, unknown> | null, after: Record<string, unknown>): Changes {
  const out: Changes = {};
  for (const [k, v] of Object.entries(after)) {
    const old = before ? before[k] ?? null : null;
    if (JSON.stringify(old) !== JSON.stringify(v ?? null)) out[k] = [old, v ?? null];
  }
  return out;
}

export class AuditLog {
  private readonly insert;
  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {
    this.insert = db.prepare('INSERT INTO erp_audit (at, user_id, username, action, entity, entity_id, changes) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(actor: Actor, action: string, entity: string, entityId: string | number, changes: Changes = {}): void {
    this.insert.run(this.now().toISOString(), actor.id, actor.username, action, entity, String(entityId), JSON.stringify(changes));
  }

  list(opts: { entity?: string; entityId?: string; limit?: number; offset?: number } = {}): { items: AuditEntry[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.entity) { where.push('entity = ?'); args.push(opts.entity); }
    if (opts.entityId) { where.push('entity_id = ?'); args.push(opts.entityId); }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM erp_audit ${w}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`SELECT id, at, username, action, entity, entity_id, changes FROM erp_audit ${w} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...args, opts.limit ?? 50, opts.offset ?? 0) as (Omit<AuditEntry, 'changes'> & { changes: string })[];
    return { items: rows.map((r) => ({ ...r, changes: JSON.parse(r.changes) as Changes })), total };
  }
}
