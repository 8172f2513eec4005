// The clock's high-water mark lives in the box database, written in the same transaction as
// the receipts it stamped, so a power cut can never leave a stored receipt newer than the
// mark. After a restart with the wall clock behind (no RTC), the clock resumes above it.
import { stmt, type Db } from '../../shared/db.js';
import { compareHlc, parseHlc } from './hlc.js';

export const CLOCK_MIGRATION_SQL = `CREATE TABLE clock_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  high_water_mark TEXT NOT NULL,
  updated_at TEXT NOT NULL)`;

export function loadHighWaterMark(db: Db): string | null {
  const row = stmt(db, 'SELECT high_water_mark AS h FROM clock_state WHERE id = 1').get() as { h: string } | undefined;
  return row?.h ?? null;
}

/** Stores `ts` if it is above the stored mark; call inside the writer's transaction. */
export function saveHighWaterMark(db: Db, ts: string): void {
  const current = loadHighWaterMark(db);
  if (current !== null && compareHlc(parseHlc(current), parseHlc(ts)) >= 0) return;
  stmt(db, `INSERT INTO clock_state (id, high_water_mark, updated_at) VALUES (1, ?, ?)
    ON CONFLICT(id) DO UPDATE SET high_water_mark = excluded.high_water_mark, updated_at = excluded.updated_at`)
    .run(ts, new Date().toISOString());
}
