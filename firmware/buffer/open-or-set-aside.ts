// Opening the buffer at start-up. A database that fails to open or fails its integrity check
// is never deleted and never "repaired" in place: it is renamed aside (with its WAL and SHM,
// which may hold the newest commits) for an engineer to salvage, the box starts on a fresh
// file and says so loudly (log, /health, metric, retained `database` status). The fiscal
// storage (FN) in the printer stays the source of truth for what was fiscalised.
import { existsSync, renameSync } from 'node:fs';
import type { Logger } from '../../shared/logger.js';
import { openDatabase } from '../../shared/db.js';
import { BufferError, ReceiptBuffer, type BufferOptions } from './receipt-buffer.js';

export interface SetAside {
  file: string;
  movedTo: string;
  reason: string;
  at: string;
  /** The clock mark salvaged from the old file, if it could still be read. */
  salvagedHighWaterMark: string | null;
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (err instanceof BufferError) return err.code === 'corrupt';
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

function salvageMark(file: string): string | null {
  try {
    const db = openDatabase(file, { readonly: true });
    try {
      const row = db.prepare('SELECT high_water_mark AS h FROM clock_state WHERE id = 1').get() as { h: string } | undefined;
      return row?.h ?? null;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

export function openBufferOrSetAside(file: string, opts: BufferOptions, log: Logger, now = () => new Date()): { buffer: ReceiptBuffer; setAside: SetAside | null } {
  try {
    return { buffer: ReceiptBuffer.open(file, opts), setAside: null };
  } catch (err) {
    if (!isCorruption(err)) throw err;
    const at = now().toISOString();
    const movedTo = `${file}.corrupt-${at.replace(/[:.]/g, '-')}`;
    // Renamed together so SQLite never pairs the old WAL with the new file.
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) renameSync(file + suffix, movedTo + suffix);
    }
    const mark = salvageMark(movedTo);
    const reason = (err as Error).message;
    log.fatal({ err, file, moved_to: movedTo, salvaged_hlc: mark },
      'DATABASE CORRUPT: set aside (not deleted); starting on a fresh buffer. Unsynced receipts may be in the set-aside file; reconcile fiscal documents against the FN');
    const buffer = ReceiptBuffer.open(file, opts);
    // The fresh file must not hand out HLC stamps below the ones already issued.
    if (mark) opts.clock.restore(mark);
    buffer.recordIncident('database-set-aside', { file, moved_to: movedTo, reason, salvaged_hlc: mark });
    return { buffer, setAside: { file, movedTo, reason, at, salvagedHighWaterMark: mark } };
  }
}
